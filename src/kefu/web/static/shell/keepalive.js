// The desk's word to kefu when its page goes and comes back (issue 15).
//
// A classic script that index.html loads before the shell's modules, so that a reloaded
// page's first request is POST /agents/{me}/back: kefu then knows at once that the desk
// is here again (an idle agent stays ready; a call waits for the new line, which the
// desk reopens by itself). On pagehide (a reload, a closed tab) it sends
// POST /agents/{me}/leave with fetch(..., {keepalive: true}), which, unlike
// sendBeacon, carries the Authorization header: an idle agent is then offered nothing
// and is logged out after [acd] leave_grace unless `back` comes first. While an agent is
// logged in on the browser, leaving the page asks first (beforeunload).
//
// What it reads: sessionStorage "kefu.desk" = {"username": …}, which the desk keeps
// while its agent is logged in with device webrtc (desk.js, the lines marked
// `// keepalive`), and the token the API client keeps ("kefu.token", api.js).
// window.kefuDesk.back = {sent, landed, status}: performance.now() times (ms since this
// page's navigation began), for tests and for measuring how soon a reload lands.
(function () {
  "use strict";
  var DESK = "kefu.desk";
  var hook = (window.kefuDesk = window.kefuDesk || {});

  function desk() {
    try {
      var who = JSON.parse(sessionStorage.getItem(DESK) || "null");
      var token = sessionStorage.getItem("kefu.token");
      return who && who.username && token ? { username: who.username, token: token } : null;
    } catch (e) {
      return null;
    }
  }

  function post(d, verb, keepalive) {
    return fetch("/api/v1/agents/" + encodeURIComponent(d.username) + "/" + verb, {
      method: "POST",
      headers: { "Authorization": "Bearer " + d.token, "Accept": "application/json" },
      keepalive: keepalive,
    });
  }

  var d = desk();
  if (d) {
    var back = (hook.back = { sent: performance.now(), landed: null, status: null });
    hook.backDone = post(d, "back", false).then(function (res) {
      back.landed = performance.now();
      back.status = res.status;
      if (res.status === 409) sessionStorage.removeItem(DESK);   // logged out meanwhile
      return res.status;
    }, function () { return 0; });
  }

  window.addEventListener("pagehide", function () {
    var now = desk();
    if (now) post(now, "leave", true).catch(function () { /* the page is gone */ });
  });

  window.addEventListener("beforeunload", function (e) {
    if (!desk()) return;
    e.preventDefault();
    e.returnValue = "";        // older browsers need a value to ask
  });
})();
