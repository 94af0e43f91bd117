// The one list of the shell's screens: a business module adds its entry here.
// `path` is the client-side route (#/path), `label` an i18n key, `group` the navigation's
// menu it is listed in (`navgroup.<group>` its label; none: a link of its own), `roles`
// who sees it in the navigation (and may open it), `load` imports the module whose
// `default` export is the screen's component (loaded the first time it is opened).  A screen with `nested`
// also opens the routes below its path (#/recordings/42: the recordings screen, which
// reads the rest of the route); a screen of its own wins over that (#/recordings/audit).

export const SCREENS = [
  { path: "/wall", label: "nav.wall", roles: ["supervisor", "admin"],
    load: () => import("./screens/wall.js") },
  { path: "/desk", label: "nav.desk", roles: ["agent", "supervisor", "admin"],
    load: () => import("./screens/desk.js") },
  { path: "/admin", label: "nav.admin", roles: ["admin"],
    load: () => import("./screens/admin.js") },
  // the ivr slice's screens (src/kefu/ivr/static/)
  { path: "/ivr/flows", group: "ivr", label: "nav.ivr_flows", roles: ["admin"],
    load: () => import("/static/ivr/flows.js") },
  { path: "/ivr/prompts", group: "ivr", label: "nav.ivr_prompts", roles: ["admin"],
    load: () => import("/static/ivr/prompts.js") },
  { path: "/ivr/records", group: "ivr", label: "nav.ivr_records", roles: ["admin"],
    load: () => import("/static/ivr/records.js") },
  { path: "/ivr/stats", group: "ivr", label: "nav.ivr_stats", roles: ["supervisor", "admin"],
    load: () => import("/static/ivr/stats.js") },
  { path: "/ivr/voicemail", group: "ivr", label: "nav.ivr_voicemail", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/ivr/voicemail.js") },
  // the recordings slice's screens (src/kefu/recordings/static/)
  { path: "/recordings", group: "quality", label: "nav.recordings", roles: ["qa", "supervisor", "admin"], nested: true,
    load: () => import("/static/recordings/recordings.js") },
  { path: "/recordings/audit", group: "quality", label: "nav.recordings_audit", roles: ["admin"],
    load: () => import("/static/recordings/audit.js") },
  // the qa slice's screens (src/kefu/qa/static/)
  { path: "/qa/inspect", group: "quality", label: "nav.qa_inspect", roles: ["qa", "supervisor", "admin"],
    load: () => import("/static/qa/inspect.js") },
  { path: "/qa/scorecards", group: "quality", label: "nav.qa_scorecards", roles: ["qa", "supervisor", "admin"],
    load: () => import("/static/qa/scorecards.js") },
  { path: "/qa/summary", group: "quality", label: "nav.qa_summary", roles: ["qa", "supervisor", "admin"],
    load: () => import("/static/qa/summary.js") },
  { path: "/qa/mine", group: "quality", label: "nav.qa_mine", roles: ["agent"],
    load: () => import("/static/qa/mine.js") },
  { path: "/qa/examples", group: "quality", label: "nav.qa_examples", roles: ["agent", "qa", "supervisor", "admin"],
    load: () => import("/static/qa/examples.js") },
  // the crm slice's customer screens (src/kefu/crm/static/): #/customers/{id}, /new and
  // /duplicates are the list's nested routes
  { path: "/customers", group: "crm", label: "nav.customers", roles: ["agent", "supervisor", "admin", "qa"], nested: true,
    load: () => import("/static/crm/customers.js") },
  { path: "/customers/import", group: "crm", label: "nav.customers_import", roles: ["supervisor", "admin"],
    load: () => import("/static/crm/import.js") },
  { path: "/crm/fields", group: "crm", label: "nav.crm_fields", roles: ["admin"],
    load: () => import("/static/crm/fields.js") },
  { path: "/crm/notes", group: "crm", label: "nav.crm_notes", roles: ["supervisor", "admin"],
    load: () => import("/static/crm/notes_stats.js") },
  // the tickets slice's screens (src/kefu/tickets/static/)
  { path: "/tickets", group: "tickets", label: "nav.tickets", roles: ["agent", "supervisor", "admin"], nested: true,
    load: () => import("/static/tickets/tickets.js") },
  { path: "/tickets/board", group: "tickets", label: "nav.tickets_board", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/tickets/board.js") },
  { path: "/tickets/types", group: "tickets", label: "nav.tickets_types", roles: ["admin"],
    load: () => import("/static/tickets/types.js") },
  { path: "/tickets/stats", group: "tickets", label: "nav.tickets_stats", roles: ["supervisor", "admin"],
    load: () => import("/static/tickets/stats.js") },
  // the followups slice's screen (src/kefu/followups/static/)
  { path: "/followups", group: "crm", label: "nav.followups", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/followups/followups.js") },
  // the reports slice's screens (src/kefu/reports/static/): an agent runs its own reports
  { path: "/reports", group: "reports", label: "nav.reports", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/reports/reports.js") },
  { path: "/reports/schedules", group: "reports", label: "nav.reports_schedules", roles: ["supervisor", "admin"],
    load: () => import("/static/reports/schedules.js") },
  // the kb slice's screens (src/kefu/kb/static/): #/kb/{id}, /new and /{id}/edit are the
  // list's nested routes; writers and approvers are [kb] settings (the API says 403 otherwise)
  { path: "/kb", group: "kb", label: "nav.kb", roles: ["agent", "supervisor", "admin", "qa"], nested: true,
    load: () => import("/static/kb/kb.js") },
  { path: "/kb/approvals", group: "kb", label: "nav.kb_approvals", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/approvals.js") },
  { path: "/kb/categories", group: "kb", label: "nav.kb_categories", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/categories.js") },
  { path: "/kb/stats", group: "kb", label: "nav.kb_stats", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/stats.js") },
  // the kb slice's guided-tree editor (src/kefu/kb/static/trees.js): the [kb] approvers
  { path: "/kb/trees", group: "kb", label: "nav.kb_trees", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/trees.js") },
];

/** The screen of `path` among `list`: the one of that path, else a `nested` one the path
 *  is below (the longest). */
export function screenAt(list, path) {
  const below = (s) => s.nested && path.startsWith(`${s.path}/`);
  return list.find((s) => s.path === path)
    ?? list.filter(below).sort((a, b) => b.path.length - a.path.length)[0];
}

/** The screens `role` may use, in navigation order (the first is where it lands). */
export const screensFor = (role) => SCREENS.filter((s) => s.roles.includes(role));

/** The navigation's entries for `list`: each group once, where its first screen is, with
 *  its screens in order; a group of one screen (for this role) and a screen of no group
 *  are entries of their own (`group` null). */
export function navEntries(list) {
  const entries = [];
  for (const s of list) {
    const entry = s.group && entries.find((e) => e.group === s.group);
    if (entry) entry.screens.push(s);
    else entries.push({ group: s.group ?? null, screens: [s] });
  }
  return entries.map((e) => (e.screens.length === 1 ? { group: null, screens: e.screens } : e));
}
