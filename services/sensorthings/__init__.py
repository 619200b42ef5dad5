"""A read-only OGC SensorThings API 1.1 for partners (Hangzhou's bureaus), scoped by API key."""
