"""kefu.sip.sippy_fixes: the parser fixes, that sippy still needs them, and their effect on a
real SipServer (UDP, in-process)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from importlib import metadata

import pytest
from sippy.Exceptions.SipParseError import SipParseError
from sippy.SipTransactionManager import SipTransactionManager
from sippy.SipVia import SipVia

import rfc4475
import sipkit
from kefu.sip import sippy_fixes as fixes
from sipkit import PASSWORD, USER, UdpClient, authorization, code


# --- sippy underneath ----------------------------------------------------------------------

def test_sippy_is_the_version_the_fixes_were_written_for():
    """A new sippy: check each fix below against it (drop those it no longer needs), then
    bump SIPPY_VERSION."""
    assert metadata.version("sippy") == fixes.SIPPY_VERSION


def test_the_patched_sippy_functions_still_have_the_bugs_fixed():
    # getResponse() needs a request, and sippy calls it without one on parse errors
    assert inspect.signature(fixes._sippy_get_response).parameters["req"].default \
        is inspect.Parameter.empty
    incoming = inspect.getsource(fixes._sippy_handle_incoming)
    assert "exception.getResponse()" in incoming
    assert "data_in.decode()" in incoming                   # UTF-8 or nothing
    assert "print(data)" in incoming                        # bigcode: the message to stdout
    assert "SipRequest(data)" in incoming                   # the name CheckedSipRequest takes
    assert "rsplit('/', 1)" in inspect.getsource(fixes._sippy_via_parse)


def test_the_fixes_are_installed():
    import sippy.SipTransactionManager as stm
    assert SipParseError.getResponse is fixes._get_response
    assert SipVia.parse is fixes._via_parse
    assert SipTransactionManager.handleIncoming is fixes._handle_incoming
    assert stm.SipRequest is fixes.CheckedSipRequest


# --- the fixes, in process -----------------------------------------------------------------

def test_via_with_lws_around_the_slashes():
    via = SipVia("SIP  /   2.0 /UDP 192.0.2.2 ; branch = 390skdjuw ;rport")
    via.parse()
    assert (via.sipver, via.transport, via.hostname) == ("SIP/2.0", "UDP", "192.0.2.2")
    assert via.params == {"branch": "390skdjuw", "rport": None}


def test_decode_keeps_utf8_and_reads_other_bytes_as_latin1():
    mixed = b'From: "M\xfcller" <sip:1001@x>\r\nTo: "\xe7\x8e\x8b" <sip:1002@x>\r\n\r\n\xc3\xbc\xff'
    text = fixes.decode(mixed)
    assert 'From: "M\u00fcller"' in text and 'To: "\u738b"' in text
    assert text.endswith("\xc3\xbc\xff")                 # body: one character an octet


@pytest.mark.parametrize("name, status", [
    ("badvers", 505), ("unkscm", 416), ("novelsc", 416), ("mcl01", 400), ("multi01", 400),
    ("lwsstart", 400), ("trws", 400), ("ltgtruri", 400), ("escruri", 400), ("regbadct", 400),
    ("ncl", 400), ("insuf", 400), ("quotbal", 400), ("badaspec", 400), ("baddn", 400),
    ("badinv01", 400), ("clerr", 400)])
def test_bad_requests_raise_a_parse_error_with_their_response(name, status):
    with pytest.raises(SipParseError) as err:
        fixes.CheckedSipRequest(fixes.decode(rfc4475.MESSAGES[name]))
    assert err.value.getResponse().getSCode()[0] == status


def test_valid_torture_requests_parse():
    for name in ("wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq",
                 "semiuri", "transports", "mpart01", "badbranch", "cparam01", "regescrq"):
        raw = fixes.decode(rfc4475.MESSAGES[name])
        request = fixes.CheckedSipRequest(raw)
        assert request.getMethod() == raw.split(" ", 1)[0], name


# --- against a real SipServer --------------------------------------------------------------

async def test_latin1_display_name_registers(server):
    """A phone sending its display name in ISO-8859-1 registers (sippy dropped it)."""
    port = server.settings.port
    phone = await UdpClient.open(port)
    aor = f"sip:{USER}@127.0.0.1"

    def register(cseq: int, *extra: str) -> bytes:
        data = sipkit.request("REGISTER", f"sip:127.0.0.1:{port}",
                              f"SIP/2.0/UDP 127.0.0.1:{phone.port}", call_id="latin1-reg",
                              cseq=cseq, from_uri=aor, to_uri=aor,
                              extra=(f"Contact: <sip:{USER}@127.0.0.1:{phone.port}>", *extra))
        return data.replace(b"From: <", b'From: "M\xfcller" <')
    try:
        first = await phone.final(register(1), timeout=2)
        assert code(first) == 401
        auth = authorization(first, "REGISTER", f"sip:127.0.0.1:{port}", USER, PASSWORD)
        assert code(await phone.final(register(2, auth), timeout=2)) == 200
        assert server.locations.lookup(USER)
    finally:
        phone.close()


async def test_unparsable_request_gets_400_and_out_of_range_status_is_not_printed(
        server, capfd, caplog):
    """clerr gets the 400 sippy built (getResponse() called without a request had raised);
    bigcode is dropped without printing the message (sippy printed it to stdout)."""
    caplog.set_level(logging.DEBUG)
    phone = await UdpClient.open(server.settings.port)
    try:
        assert code(await phone.final(rfc4475.with_rport(rfc4475.MESSAGES["clerr"]), 2)) == 400
        phone.send(rfc4475.MESSAGES["bigcode"])
        with pytest.raises(asyncio.TimeoutError):
            await phone.recv(timeout=0.3)
    finally:
        phone.close()
    out, err = capfd.readouterr()
    assert "better not break" not in out + err + caplog.text
    assert "Traceback" not in out + err + caplog.text
