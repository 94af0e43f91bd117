"""RFC 4475 (SIP torture test messages), section 3: the messages and what kefu answers.

Written from the RFC's text (the messages of §3.1.1-§3.4, transcribed; ``<allOneLine>``
and ``<repeat>`` markup expanded; the binary S/MIME part of mpart01 is a stand-in of the
same kind: non-UTF-8 octets in a multipart body).  One change to every message: the top
Via of a request gets ``;rport`` (RFC 3581) so that the response reaches the test's socket
instead of the documentation addresses (192.0.2.x, example.com) the RFC uses.  A Via the
RFC made unparsable on purpose is left alone: kefu answers those to the packet's source.

``EXPECTED[name] = (udp, tcp)``: the status codes the RFC allows for an element that is a
registrar/UAS demanding digest authentication (RFC 3261 §8.2 authenticates before
inspecting headers and bodies, so "valid, but unsupported" INVITEs get 401 first); ``()``
means no response at all (responses to nothing, and what the RFC says to drop).

Imported as ``rfc4475`` by tests/sip (on sys.path there) and by path from tests/e2e.
"""

from __future__ import annotations

import re

SDP = ("v=0\r\no=mhandley 29739 7272939 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
       "m=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n")


def _m(text: str, body: str = "") -> bytes:
    """A message from lines joined by LF in the source (CRLF on the wire)."""
    head = text.strip("\n").replace("\n", "\r\n") + "\r\n\r\n"
    return (head + body).encode("utf-8")


def _sdp(ip: str) -> str:
    return SDP.format(ip=ip)


LONG = "long" * 20
M = {}

# --- 3.1.1 valid messages -------------------------------------------------------------------
M["wsinv"] = (
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"
    "TO :\r\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
    "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n"
    "  ;\r\n"
    "  tag = 98asjd8\r\n"
    "MaX-fOrWaRdS: 0068\r\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
    "Content-Length   : 150\r\n"
    "cseq: 0009\r\n"
    "  INVITE\r\n"
    "Via  : SIP  /   2.0\r\n"
    " /UDP\r\n"
    "    192.0.2.2;branch=390skdjuw\r\n"
    "s :\r\n"
    "NewFangledHeader:   newfangled value\r\n"
    " continued newfangled value\r\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
    "Content-Type: application/sdp\r\n"
    "Route:\r\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
    "  branch  =   z9hG4bK9ikj8  ,\r\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"
    " z9hG4bK30239\r\n"
    "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n"
    "      newvalue ;\r\n"
    "  secondparam ; q = 0.33\r\n"
    "\r\n").encode() + _sdp("192.0.2.3").replace("c=IN IP4 192.0.2.3", "c=IN IP4 192.0.2.4").encode()

M["intmeth"] = (
    "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    ":&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n"
    "To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\r\n"
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
    "\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\";tag=_token~1'+`*%!-.\r\n"
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\r\n"
    "Max-Forwards: 255\r\n"
    "extensionHeader-!.%*+_`'~:\ufeff\u5927\u505c\u96fb\r\n"
    "Content-Length: 0\r\n\r\n").encode("utf-8")

M["esc01"] = _m("""
INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: 150
""", _sdp("192.0.2.1"))

M["escnull"] = _m("""
REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0
""")

M["esc02"] = _m("""
RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0
""")

M["lwsdisp"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0
""")

_VIA_NAMES = ["Via: ", "v: ", "V: ", "Via: ", "ViA: ", "VIa: ", "VIA: ", "via: ", "viA: ", "vIa: ",
              "vIA: ", "V :  ", "v :  ", "V  : ", "v  : ", "Via : ", "Via  : "]
_vias = "\n".join(f"{n}SIP/2.0/TCP sip{i}.example.com" for n, i in zip(_VIA_NAMES, range(33, 16, -1)))
M["longreq"] = _m(f"""
INVITE sip:user@example.com SIP/2.0
To: "I have a user name of {'extreme' * 10} proportion"<sip:user@example.com:6000;unknownparam1=very{LONG}value;longparam{'name' * 25}=shortvalue;very{LONG}ParameterNameWithNoValue>
F: sip:{'amazinglylongcallername' * 5}@example.net;tag={'12982982982982982982' * 7}424;unknownheaderparam{'name' * 20}=unknowheaderparam{'value' * 15};unknownValueless{'paramname' * 10}
Call-ID: longreq.one{'really' * 20}longcallid
CSeq: 3882340 INVITE
Unknown-{'Long' * 20}-Name: unknown-{'long' * 20}-value; unknown-{'long' * 20}-parameter-name = unknown-{'long' * 20}-parameter-value
{_vias}
""" + "\n".join(f"Via: SIP/2.0/TCP sip{i}.example.com" for i in range(16, 0, -1)) + f"""
Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very{'long' * 50}branchvalue
Max-Forwards: 70
Contact: <sip:{'amazinglylongcallername' * 5}@host5.example.net>
Content-Type: application/sdp
l: 150
""", _sdp("192.0.2.1"))

M["dblreq"] = _m("""
REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0
""") + _m("""
INVITE sip:joe@example.com SIP/2.0
t: sip:joe@example.com
From: sip:caller@example.net;tag=141334
Max-Forwards: 8
Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234
Content-Type: application/sdp
Content-Length: 150
""", _sdp("192.0.2.15").replace("m=video", "m =video"))

M["semiuri"] = _m("""
OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0
""")

M["transports"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0
""")

_MPART_BODY = (
    b"------------020004060200010908060905\r\n"
    b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    b"Here is a signed message.\r\n\r\n"
    b"------------020004060200010908060905\r\n"
    b"Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
    b"Content-Transfer-Encoding: binary\r\n"
    b"Content-Disposition: attachment; filename=smime.p7s\r\n\r\n"
    + bytes(range(0x30, 0x40)) + b"\x82\x01\xff\xfe\x80\x00\x81\xc3\x28\xa0\xe9" + bytes(range(0x80, 0x100))
    + b"\r\n------------020004060200010908060905--\r\n")
M["mpart01"] = (
    "MESSAGE sip:kumiko@example.org SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:127.0.0.1:5080>\r\n"
    "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\r\n"
    "Contact: <sip:fluffy@127.0.0.1:5070>\r\n"
    "To: <sip:kumiko@example.org>\r\n"
    "From: <sip:fluffy@example.com>;tag=2fb0dcc9\r\n"
    "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "Content-Type: multipart/mixed;boundary=----------020004060200010908060905\r\n"
    "Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n"
    "User-Agent: SIPimp.org/0.2.5 (curses)\r\n"
    f"Content-Length: {len(_MPART_BODY)}\r\n\r\n").encode() + _MPART_BODY

M["unreason"] = _m("""
SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 154
Content-Type: application/sdp
Contact: <sip:user@host198.example.com>
""", _sdp("192.0.2.198"))

M["noreason"] = _m("""
SIP/2.0 100 \nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: noreason.asndj203insdf99223ndf
CSeq: 35 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>
""")

# --- 3.1.2 invalid messages -----------------------------------------------------------------
M["badinv01"] = _m("""
INVITE sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=134161461246
Max-Forwards: 7
Call-ID: badinv01.0ha0isndaksdjasdf3234nas
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;;,;,,
Contact: "Joe" <sip:joe@example.org>;;;;
Content-Length: 152
Content-Type: application/sdp
""", _sdp("192.0.2.15"))

M["clerr"] = _m("""
INVITE sip:user@example.com SIP/2.0
Max-Forwards: 80
To: sip:j.user@example.com
From: sip:caller@example.net;tag=93942939o2
Contact: <sip:caller@hungry.example.net>
Call-ID: clerr.0ha0isndaksdjweiafasdk3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523
Content-Type: application/sdp
Content-Length: 9999
""", _sdp("192.0.2.155"))

M["ncl"] = _m("""
INVITE sip:user@example.com SIP/2.0
Max-Forwards: 254
To: sip:j.user@example.com
From: sip:caller@example.net;tag=32394234
Call-ID: ncl.0ha0isndaksdj2193423r542w35
CSeq: 0 INVITE
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
Contact: <sip:caller@example53.example.net>
Content-Type: application/sdp
Content-Length: -999
""", _sdp("192.0.2.53"))

M["scalar02"] = _m("""
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 36893488147419103232 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Expires: 1""" + "0" * 100 + """
Contact: <sip:user@host129.example.com>
  ;expires=280297596632815
l: 0
""")

M["scalarlg"] = _m("""
SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=2easdjfejw
CSeq: 9292394834772304023312 OPTIONS
Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r
Retry-After: 949302838503028349304023988
Warning: 1812 overture "In Progress"
Content-Length: 0
""")

M["quotbal"] = _m("""
INVITE sip:user@example.com SIP/2.0
To: "Mr. J. User <sip:j.user@example.com>
From: sip:caller@example.net;tag=93334
Max-Forwards: 10
Call-ID: quotbal.aksdj
Contact: <sip:caller@host59.example.net>
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234
Content-Type: application/sdp
Content-Length: 152
""", _sdp("192.0.2.15"))

M["ltgtruri"] = _m("""
INVITE <sip:user@example.com> SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=39291
Max-Forwards: 23
Call-ID: ltgtruri.1@192.0.2.5
CSeq: 1 INVITE
Via: SIP/2.0/UDP 192.0.2.5
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: 159
""", _sdp("192.0.2.5").replace("t=0 0", "t=3149328700 0"))

M["lwsruri"] = _m("""
INVITE sip:user@example.com; lr SIP/2.0
To: sip:user@example.com;tag=3xfe-9921883-z9f
From: sip:caller@example.net;tag=231413434
Max-Forwards: 5
Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423
CSeq: 2130706432 INVITE
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: 159
""", _sdp("192.0.2.1").replace("t=0 0", "t=3149328700 0"))

M["lwsstart"] = _m("""
INVITE  sip:user@example.com  SIP/2.0
Max-Forwards: 8
To: sip:user@example.com
From: sip:caller@example.net;tag=8814
Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com
CSeq: 1893884 INVITE
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: 150
""", _sdp("192.0.2.1"))

M["trws"] = _m("""
OPTIONS sip:remote-target@example.com SIP/2.0  \nVia: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093
To: <sip:remote-target@example.com>
From: <sip:local-resource@example.com>;tag=329429089
Call-ID: trws.oicu34958239neffasdhr2345r
Accept: application/sdp
CSeq: 238923 OPTIONS
Max-Forwards: 70
Content-Length: 0
""")

M["escruri"] = _m("""
INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=341518
Max-Forwards: 7
Contact: <sip:caller@host39923.example.net>
Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5
CSeq: 149209342 INVITE
Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw
Content-Type: application/sdp
Content-Length: 150
""", _sdp("192.0.2.1"))

M["baddate"] = _m("""
INVITE sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=2234923
Max-Forwards: 70
Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234
CSeq: 1392934 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
Date: Fri, 01 Jan 2010 16:00:00 EST
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: 150
""", _sdp("192.0.2.5"))

M["regbadct"] = _m("""
REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=998332
Max-Forwards: 70
Call-ID: regbadct.k345asrl3fdbv@10.0.0.1
CSeq: 1 REGISTER
Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw
Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E
l: 0
""")

M["badaspec"] = _m("""
OPTIONS sip:user@example.org SIP/2.0
Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234
Max-Forwards: 70
From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423
To: "Watson, Thomas" < sip:t.watson@example.org >
Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3
Accept: application/sdp
CSeq: 3923239 OPTIONS
l: 0
""")

M["baddn"] = _m("""
OPTIONS sip:t.watson@example.org SIP/2.0
Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards:      70
From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43
To:      Watson, Thomas <sip:t.watson@example.org>
Call-ID: baddn.31415@c.example.com
Accept: application/sdp
CSeq:    3923239 OPTIONS
l: 0
""")

M["badvers"] = _m("""
OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0
""")

M["mismatch01"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch01.dj0234sxdfl3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
l: 0
""")

M["mismatch02"] = _m("""
NEWMETHOD sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch02.dj0234sxdfl3
CSeq: 8 INVITE
Contact: <sip:caller@host.example.net>
Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw
Content-Type: application/sdp
l: 138
""", "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n"
     "m=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n")

M["bigcode"] = _m("""
SIP/2.0 4294967301 better not break the receiver
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i
CSeq: 353494 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>
""")

# --- 3.2 transaction layer, 3.3 application layer, 3.4 backwards compatibility ---------------
M["badbranch"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK
Accept: application/sdp
Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n
CSeq: 8 OPTIONS
l: 0
""")

M["insuf"] = _m("""
INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: 152
""", _sdp("192.0.2.95"))

M["unkscm"] = _m("""
OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0
""")

M["novelsc"] = _m("""
OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: novelsc.asdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: 0
""")

M["unksm2"] = _m("""
REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: 0
""")

M["bext01"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.net;tag=242etr
Max-Forwards: 6
Call-ID: bext01.0ha0isndaksdj
Require: nothingSupportsThis, nothingSupportsThisEither
Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis
CSeq: 8 OPTIONS
Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw
Content-Length: 0
""")

M["invut"] = _m("""
INVITE sip:user@example.com SIP/2.0
Contact: <sip:caller@host5.example.net>
To: sip:j.user@example.com
From: sip:caller@example.net;tag=8392034
Max-Forwards: 70
Call-ID: invut.0ha0isndaksdjadsfij34n23d
CSeq: 235448 INVITE
Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw
Content-Type: application/unknownformat
Content-Length: 40
""", "<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n")

M["regaut01"] = _m("""
REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=87321hj23128
Max-Forwards: 8
Call-ID: regaut01.0ha0isndaksdj
CSeq: 9338 REGISTER
Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw
Authorization: NoOneKnowsThisScheme opaque-data=here
Content-Length:0
""")

M["multi01"] = _m("""
INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: 154
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5
""", _sdp("192.0.2.25"))

M["mcl01"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423
To: sip:user@example.com
From: sip:other@example.net;tag=3923942
Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf
CSeq: 15932 OPTIONS
Content-Length: 13
Max-Forwards: 60
Content-Length: 5
Content-Type: text/plain
""", "There's no way to know how many octets are supposed to be here.\r\n")

M["bcast"] = _m("""
SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23
Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: 154
Content-Type: application/sdp
Contact: <sip:user@host28.example.com>
""", _sdp("192.0.2.198"))

M["zeromf"] = _m("""
OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=3ghsd41
Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas
CSeq: 39234321 OPTIONS
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i
Max-Forwards: 0
Content-Length: 0
""")

M["cparam01"] = _m("""
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe
To: sip:watson@example.com
Call-ID: cparam01.70710@saturn.example.com
CSeq: 2 REGISTER
Contact: sip:+19725552222@gw1.example.net;unknownparam
l: 0
""")

M["cparam02"] = _m("""
REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=838293
To: sip:watson@example.com
Call-ID: cparam02.70710@saturn.example.com
CSeq: 3 REGISTER
Contact: <sip:+19725552222@gw1.example.net;unknownparam>
l: 0
""")

M["regescrq"] = _m("""
REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=8
Max-Forwards: 70
Call-ID: regescrq.k345asrl3fdbv@192.0.2.1
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>
L:0
""")

M["sdp01"] = _m("""
INVITE sip:user@example.com SIP/2.0
To: sip:j_user@example.com
Contact: <sip:caller@host15.example.net>
From: sip:caller@example.net;tag=234
Max-Forwards: 5
Call-ID: sdp01.ndaksdj9342dasdd
Accept: text/nobodyKnowsThis
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw
Content-Length: 150
Content-Type: application/sdp
""", _sdp("192.0.2.5"))

M["inv2543"] = _m("""
INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 INVITE
Content-Type: application/sdp
""", "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\n"
     "t=0 0\r\nm=audio 49217 RTP/AVP 0\r\n")

NONE = ()
AUTH = (401,)
# name: (UDP, TCP) -- allowed status codes of the (first final) response; () = none
EXPECTED: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "wsinv": (AUTH, AUTH),
    "intmeth": ((501,), (501,)),           # unknown method: 501 with Allow
    "esc01": (AUTH, AUTH),
    "escnull": (AUTH, AUTH),
    "esc02": ((501,), (501,)),             # RE%47IST%45R is not REGISTER
    "lwsdisp": ((200,), (200,)),
    "longreq": (AUTH, AUTH),
    "dblreq": (AUTH, AUTH),                # the REGISTER; UDP drops the rest of the datagram
    "semiuri": ((200,), (200,)),
    "transports": ((200,), (200,)),
    "mpart01": ((405,), (405,)),           # parsed (binary body); MESSAGE is not offered
    "unreason": (NONE, NONE),              # responses to no transaction
    "noreason": (NONE, NONE),
    "badinv01": ((400,), (400,)),
    "clerr": ((400,), NONE),               # TCP: waits for the 9999 octets
    "ncl": ((400,), (400,)),
    "scalar02": ((400,), (400,)),
    "scalarlg": (NONE, NONE),
    "quotbal": ((400,), (400,)),
    "ltgtruri": ((400,), (400,)),
    "lwsruri": ((400,), (400,)),
    "lwsstart": ((400,), (400,)),
    "trws": ((400,), (400,)),
    "escruri": ((400,), (400,)),           # "acceptable to reject"; kefu does
    "baddate": ((400, 401), (400, 401)),   # may reject, or ignore a Date it does not use
    "regbadct": ((400,), (400,)),
    "badaspec": ((400, 200), (400, 200)),  # reject, or be liberal
    "baddn": ((400, 200), (400, 200)),
    "badvers": ((505,), (505,)),
    "mismatch01": ((400,), (400,)),
    "mismatch02": ((400,), (400,)),
    "bigcode": (NONE, NONE),
    "badbranch": ((200,), (200,)),
    "insuf": ((400,), (400,)),
    "unkscm": ((416,), (416,)),
    "novelsc": ((416,), (416,)),
    "unksm2": ((400,), (400,)),            # a registrar needs a SIP AOR in To
    "bext01": ((420,), (420,)),
    "invut": ((401, 415), (401, 415)),
    "regaut01": (AUTH, AUTH),
    "multi01": ((400,), NONE),             # TCP: l: 154 and 152 octets, waits for 2
    "mcl01": ((400,), (400,)),
    "bcast": (NONE, NONE),
    "zeromf": ((200,), (200,)),            # kefu is the target: OPTIONS answered
    "cparam01": (AUTH, AUTH),
    "cparam02": (AUTH, AUTH),
    "regescrq": (AUTH, AUTH),
    "sdp01": ((401, 406), (401, 406)),
    "inv2543": (AUTH, (400,)),             # TCP: no Content-Length, framing fails
}
MESSAGES: dict[str, bytes] = M
assert set(MESSAGES) == set(EXPECTED)

_VIA = re.compile(rb"^((?:via|v)[ \t]*:[^\r\n]*(?:\r\n[ \t]+[^\r\n]*)*)", re.I | re.M)


def with_rport(data: bytes) -> bytes:
    """``data`` with ``;rport`` on its first Via (requests whose Via can be parsed)."""
    if data.startswith(b"SIP/"):
        return data
    head, sep, body = data.partition(b"\r\n\r\n")
    m = _VIA.search(head)
    if m is None or b";;" in m.group(1):
        return data
    via = m.group(1)
    first = re.split(rb",", via, 1)
    first[0] += b";rport"
    return head[:m.start()] + b",".join(first) + head[m.end():] + sep + body


# --- sending (blocking sockets: for a server in another process) ------------------------------

def _finals(data: bytes) -> list[int]:
    """Status codes of the final responses in ``data`` (one datagram, or a TCP stream)."""
    return [int(c) for c in re.findall(rb"(?:^|\r\n)SIP/2\.0 ([2-6]\d\d) ", data)]


def exchange(port: int, items: dict[str, bytes], transport: str, wait: float = 0.4,
             batch: int = 8) -> dict[str, list[int]]:
    """Send each message to 127.0.0.1:``port`` over ``transport`` (udp/tcp) from a socket of
    its own, ``batch`` at a time; the final status codes each socket received until ``wait``
    seconds passed in silence (or the server closed the connection)."""
    import selectors
    import socket
    kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
    names = list(items)
    got: dict[str, bytes] = {}
    for start in range(0, len(names), batch):
        sel = selectors.DefaultSelector()
        socks = []
        try:
            for name in names[start:start + batch]:
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                if transport == "udp":
                    s.bind(("127.0.0.1", 0))
                    s.sendto(items[name], ("127.0.0.1", port))
                else:
                    s.connect(("127.0.0.1", port))
                    s.sendall(items[name])
                got[name] = b""
                sel.register(s, selectors.EVENT_READ, name)
            while sel.get_map():
                events = sel.select(wait)
                if not events:
                    break
                for key, _ in events:
                    try:
                        chunk = key.fileobj.recv(65536)
                    except OSError:
                        chunk = b""
                    if chunk:
                        got[key.data] += chunk
                    else:
                        sel.unregister(key.fileobj)
        finally:
            sel.close()
            for s in socks:
                s.close()
    return {name: _finals(data) for name, data in got.items()}
