"""The figures pipeline: readings in, published KPI figures out.

``recompute`` runs one cycle over the days that changed. It calls ``air`` (hourly and daily AQI),
``water`` (daily means, period classes, the Class Ⅰ–Ⅲ share, ecological flow), ``waste``,
``completeness`` and ``comparison`` (two sources at a boundary section, per month). Then ``air_year``
derives the year-to-date air KPIs, with ``ytd_validity`` deciding which annual statistics are valid.
Every figure is written through ``publication``, so a published figure is never changed silently.
``exact`` holds the arithmetic helpers.
"""
