"""Frames the platform and simulated devices send: data uploads, replies and platform commands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from services.standards.hj212.codes import DATA_COMMANDS, HISTORY_COMMANDS, NUMERIC_FIELDS, Command, SystemCode
from services.standards.hj212.frame import Frame, FrameError, FrameErrorReason, format_time, make_flag
from services.standards.numbers import Number, to_decimal


def _coerce(code: str, name: str, value: Number) -> Decimal | str:
    if name not in NUMERIC_FIELDS:
        if not isinstance(value, str):
            raise FrameError(FrameErrorReason.BAD_FIELD, f"{code}-{name} takes text, got {value!r}")
        return value
    try:
        return to_decimal(value)
    except ValueError as error:
        raise FrameError(FrameErrorReason.BAD_NUMBER, f"{code}-{name}: {error}") from None


def data_frame(
    *,
    st: int,
    cn: int,
    mn: str,
    pw: str,
    data_time: datetime,
    values: Mapping[str, Mapping[str, Number]],
    qn: str | None = None,
    needs_reply: bool = True,
    version: int = 1,
    pnum: int | None = None,
    pno: int | None = None,
) -> Frame:
    """A data upload (CN 2011 real-time, 2051 minute, 2061 hourly, 2031 daily, …) as a device sends it.

    Numeric fields (Rtd, Avg, …) accept any number (floats through their repr); ``data_time`` is
    truncated to whole seconds because DataTime carries no fractions.
    """
    if cn not in DATA_COMMANDS:
        raise FrameError(FrameErrorReason.BAD_FIELD, f"CN {cn} is not a data upload command")
    return Frame(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=make_flag(version=version, needs_reply=needs_reply, has_packets=pnum is not None),
        pnum=pnum,
        pno=pno,
        data_time=data_time.replace(microsecond=0),
        values={code: {name: _coerce(code, name, v) for name, v in fields.items()} for code, fields in values.items()},
    )


def _reply(request: Frame, cn: Command, extra: dict[str, str]) -> Frame:
    # Replies echo the request's QN, PW and MN, use ST 91 and never ask for a reply themselves.
    return Frame(
        qn=request.qn,
        st=SystemCode.SYSTEM,
        cn=cn,
        pw=request.pw,
        mn=request.mn,
        flag=make_flag(version=request.version, needs_reply=False),
        extra=extra,
    )


def data_reply(request: Frame) -> Frame:
    """CN 9014: the platform acknowledges a data upload that asked for a reply."""
    return _reply(request, Command.DATA_REPLY, {})


def notification_reply(request: Frame) -> Frame:
    """CN 9013: acknowledges a notification."""
    return _reply(request, Command.NOTIFICATION_REPLY, {})


def request_reply(request: Frame, qn_rtn: int) -> Frame:
    """CN 9011: the answer to a command (:class:`QnRtn`)."""
    return _reply(request, Command.REQUEST_REPLY, {"QnRtn": str(int(qn_rtn))})


def execution_result(request: Frame, exe_rtn: int) -> Frame:
    """CN 9012: the outcome of an executed command (:class:`ExeRtn`)."""
    return _reply(request, Command.EXECUTION_RESULT, {"ExeRtn": str(int(exe_rtn))})


def command(
    cn: int, *, st: int, mn: str, pw: str, qn: str, extra: Mapping[str, str] | None = None, version: int = 1
) -> Frame:
    """A platform command to a device; it always asks for a reply (9011) and carries the station's ST."""
    return Frame(
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=make_flag(version=version, needs_reply=True),
        extra=dict(extra or {}),
    )


def _pol_id(pol_id: str | None) -> dict[str, str]:
    return {} if pol_id is None else {"PolId": pol_id}


def get_time(*, st: int, mn: str, pw: str, qn: str, pol_id: str | None = None, version: int = 1) -> Frame:
    """CN 1011: ask for the device clock (optionally of one instrument, PolId)."""
    return command(Command.GET_TIME, st=st, mn=mn, pw=pw, qn=qn, extra=_pol_id(pol_id), version=version)


def set_time(
    *, st: int, mn: str, pw: str, qn: str, system_time: datetime, pol_id: str | None = None, version: int = 1
) -> Frame:
    """CN 1012: set the device clock (SystemTime, Beijing time)."""
    extra = {**_pol_id(pol_id), "SystemTime": format_time(system_time)}
    return command(Command.SET_TIME, st=st, mn=mn, pw=pw, qn=qn, extra=extra, version=version)


def start_realtime(*, st: int, mn: str, pw: str, qn: str, version: int = 1) -> Frame:
    """CN 2011 from the platform: start uploading real-time data."""
    return command(Command.REALTIME_DATA, st=st, mn=mn, pw=pw, qn=qn, version=version)


def stop_realtime(*, st: int, mn: str, pw: str, qn: str, version: int = 1) -> Frame:
    """CN 2012: stop uploading real-time data."""
    return command(Command.STOP_REALTIME_DATA, st=st, mn=mn, pw=pw, qn=qn, version=version)


def history_request(
    *,
    st: int,
    mn: str,
    pw: str,
    qn: str,
    begin: datetime,
    end: datetime,
    cn: int = Command.HOURLY_DATA,
    version: int = 1,
) -> Frame:
    """CN 2061 (or 2051 minute, 2031 daily): ask a device to re-send history between two times."""
    if cn not in HISTORY_COMMANDS:
        raise FrameError(FrameErrorReason.BAD_FIELD, f"CN {cn} is not a history data command")
    extra = {"BeginTime": format_time(begin), "EndTime": format_time(end)}
    return command(cn, st=st, mn=mn, pw=pw, qn=qn, extra=extra, version=version)
