// The wallboard's alerts: which callers waited, which agents were not ready and which
// calls talked longer than their queue allows (`alert_wait`, `alert_not_ready`,
// `alert_talk` from GET /queues; 0: off).  A pure function of the lists and the time, so
// an alert is raised and cleared by the same one-second recomputation: it holds while the
// condition does and goes when it ends.

const TALKING = new Set(["talking", "on_hold"]);

/** An agent's threshold: the smallest of those set (non-zero) on its queues (the queues
 *  it is logged in to, else those it is a member of); 0 when none is. */
export function agentLimit(agent, byName, field) {
  const names = agent.queues?.length ? agent.queues : Object.keys(agent.skills || {});
  const set = names.map((n) => byName.get(n)?.[field] || 0).filter((s) => s > 0);
  return set.length ? Math.min(...set) : 0;
}

/** Every alert now: [{kind: "wait"|"not_ready"|"talk", key, since (ms, when the
 *  threshold was crossed), limit (s), queue, caller, agent}], oldest first.
 *  `queues` carry `fetched` (ms: when their `wait`s were measured), `agents` `localSince`
 *  (ms: when their state began), `calls` `started` (Unix s). */
export function alertsOf(queues, agents, calls, nowMs) {
  const out = [];
  const byName = new Map(queues.map((q) => [q.name, q]));
  for (const q of queues) {
    if (!(q.alert_wait > 0)) continue;
    for (const c of q.calls || []) {
      const since = q.fetched - c.wait * 1000 + q.alert_wait * 1000;
      if (c.position > 0 && since <= nowMs)
        out.push({ kind: "wait", key: `wait:${c.call_id}`, since, limit: q.alert_wait, queue: q.name, caller: c.caller });
    }
  }
  for (const a of agents) {
    if (a.state !== "not_ready") continue;
    const limit = agentLimit(a, byName, "alert_not_ready");
    const since = a.localSince + limit * 1000;
    if (limit && since <= nowMs)
      out.push({ kind: "not_ready", key: `not_ready:${a.username}`, since, limit, agent: a.username });
  }
  const agentsByName = new Map(agents.map((a) => [a.username, a]));
  for (const c of calls) {
    const a = c.agent && agentsByName.get(c.agent);
    if (!a || !TALKING.has(a.state) || !c.started) continue;
    // the call's queue's threshold; a call that came through no queue: the agent's
    const limit = c.queue ? byName.get(c.queue)?.alert_talk || 0 : agentLimit(a, byName, "alert_talk");
    const since = (c.started + limit) * 1000;
    if (limit && since <= nowMs)
      out.push({ kind: "talk", key: `talk:${c.call_id}`, since, limit, agent: a.username, queue: c.queue || "",
                 caller: c.caller });
  }
  return out.sort((x, y) => x.since - y.since);
}
