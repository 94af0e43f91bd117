"""``kefu.app.known_caller``: a queue call carries the CRM's tier and owner of its caller
into the ACD (VIP priority, customer-based routing), unless the call already has them."""

from __future__ import annotations

from types import SimpleNamespace

from kefu.app import known_caller
from kefu.crm.service import Crm
from kefu.users.service import Users


async def _queued(crm: Crm, caller: str, data: dict) -> dict:
    taken: list[dict] = []

    async def take(call, route) -> None:  # type: ignore[no-untyped-def]
        taken.append(dict(call.data))

    call = SimpleNamespace(caller=caller, data=dict(data))
    await known_caller(crm, take)(call, None)  # type: ignore[arg-type]
    [seen] = taken
    return seen


async def test_the_customers_tier_and_owner_reach_the_queue(crm: Crm, users: Users) -> None:
    users.create_user("ann", "password1", "agent")
    crm.create_customer("13800138000", name="VIP", tier="gold", owner="ann")
    crm.create_customer("13900139000", name="plain")
    # the caller ID in another spelling finds the customer
    assert await _queued(crm, "+8613800138000", {"order": "A-1"}) == {
        "order": "A-1", "tier": "gold", "owner": "ann"}
    # what an IVR or the API set wins
    assert await _queued(crm, "13800138000", {"tier": "silver"}) == {
        "tier": "silver", "owner": "ann"}
    # a customer without tier or owner, an unknown caller, an anonymous one: nothing added
    for caller in ("13900139000", "13700137000", "anonymous"):
        assert await _queued(crm, caller, {}) == {}
