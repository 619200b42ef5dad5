"""Chinese capital amounts (大写金额) as written on payment notices, e.g. 壹佰万零壹仟元壹角整.

Conventions (《支付结算办法》 附件一 正确填写票据和结算凭证的基本规定): a run of zeros inside the integer
part is written once as 零; an amount to 元 ends with 整 (after 角 it may be left out, and is); an
amount with 分 has no 整; zero 角 before 分 is written 零. Amounts are non-negative, at most 0.01 元 precise.
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")
CENT = Decimal("0.01")


def _group(number: int) -> str:
    """Up to four digits, with inner zeros collapsed to one 零 and trailing zeros dropped."""
    text, pending_zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _integer(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    if len(groups) > len(GROUP_UNITS):
        raise ValueError("amount too large for a capital amount")
    text, zero_gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_gap = bool(text)
            continue
        # a zero group, or a group below 1000 after a higher group, reads with 零
        if text and (zero_gap or group < 1000):
            text += "零"
        text += _group(group) + GROUP_UNITS[index]
        zero_gap = False
    return text


def capital_amount(amount: Decimal) -> str:
    if amount < 0:
        raise ValueError("a capital amount is written for a non-negative sum; the direction is stated separately")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{amount} has more than two decimals")
    cents = int(amount * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    text = _integer(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        return text + DIGITS[fen] + "分"
    return text if jiao else text + "整"
