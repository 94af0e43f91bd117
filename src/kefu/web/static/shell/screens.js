// The one list of the shell's screens: a business module adds its entry here.
// `path` is the client-side route (#/path), `label` an i18n key, `roles` who sees it in
// the navigation (and may open it), `load` imports the module whose `default` export is
// the screen's component (loaded the first time it is opened).  A screen with `nested`
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
  { path: "/ivr/flows", label: "nav.ivr_flows", roles: ["admin"],
    load: () => import("/static/ivr/flows.js") },
  { path: "/ivr/prompts", label: "nav.ivr_prompts", roles: ["admin"],
    load: () => import("/static/ivr/prompts.js") },
  { path: "/ivr/records", label: "nav.ivr_records", roles: ["admin"],
    load: () => import("/static/ivr/records.js") },
  { path: "/ivr/stats", label: "nav.ivr_stats", roles: ["supervisor", "admin"],
    load: () => import("/static/ivr/stats.js") },
  { path: "/ivr/voicemail", label: "nav.ivr_voicemail", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/ivr/voicemail.js") },
  // the recordings slice's screens (src/kefu/recordings/static/)
  { path: "/recordings", label: "nav.recordings", roles: ["qa", "supervisor", "admin"], nested: true,
    load: () => import("/static/recordings/recordings.js") },
  { path: "/recordings/audit", label: "nav.recordings_audit", roles: ["admin"],
    load: () => import("/static/recordings/audit.js") },
  // the qa slice's screens (src/kefu/qa/static/)
  { path: "/qa/inspect", label: "nav.qa_inspect", roles: ["qa", "supervisor", "admin"],
    load: () => import("/static/qa/inspect.js") },
  { path: "/qa/scorecards", label: "nav.qa_scorecards", roles: ["qa", "supervisor", "admin"],
    load: () => import("/static/qa/scorecards.js") },
  { path: "/qa/summary", label: "nav.qa_summary", roles: ["qa", "supervisor", "admin"],
    load: () => import("/static/qa/summary.js") },
  { path: "/qa/mine", label: "nav.qa_mine", roles: ["agent"],
    load: () => import("/static/qa/mine.js") },
  { path: "/qa/examples", label: "nav.qa_examples", roles: ["agent", "qa", "supervisor", "admin"],
    load: () => import("/static/qa/examples.js") },
  // the crm slice's customer screens (src/kefu/crm/static/): #/customers/{id}, /new and
  // /duplicates are the list's nested routes
  { path: "/customers", label: "nav.customers", roles: ["agent", "supervisor", "admin", "qa"], nested: true,
    load: () => import("/static/crm/customers.js") },
  { path: "/customers/import", label: "nav.customers_import", roles: ["supervisor", "admin"],
    load: () => import("/static/crm/import.js") },
  { path: "/crm/fields", label: "nav.crm_fields", roles: ["admin"],
    load: () => import("/static/crm/fields.js") },
  { path: "/crm/notes", label: "nav.crm_notes", roles: ["supervisor", "admin"],
    load: () => import("/static/crm/notes_stats.js") },
  // the tickets slice's screens (src/kefu/tickets/static/)
  { path: "/tickets", label: "nav.tickets", roles: ["agent", "supervisor", "admin"], nested: true,
    load: () => import("/static/tickets/tickets.js") },
  { path: "/tickets/board", label: "nav.tickets_board", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/tickets/board.js") },
  { path: "/tickets/types", label: "nav.tickets_types", roles: ["admin"],
    load: () => import("/static/tickets/types.js") },
  { path: "/tickets/stats", label: "nav.tickets_stats", roles: ["supervisor", "admin"],
    load: () => import("/static/tickets/stats.js") },
  // the followups slice's screen (src/kefu/followups/static/)
  { path: "/followups", label: "nav.followups", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/followups/followups.js") },
  // the reports slice's screens (src/kefu/reports/static/): an agent runs its own reports
  { path: "/reports", label: "nav.reports", roles: ["agent", "supervisor", "admin"],
    load: () => import("/static/reports/reports.js") },
  { path: "/reports/schedules", label: "nav.reports_schedules", roles: ["supervisor", "admin"],
    load: () => import("/static/reports/schedules.js") },
  // the kb slice's screens (src/kefu/kb/static/): #/kb/{id}, /new and /{id}/edit are the
  // list's nested routes; writers and approvers are [kb] settings (the API says 403 otherwise)
  { path: "/kb", label: "nav.kb", roles: ["agent", "supervisor", "admin", "qa"], nested: true,
    load: () => import("/static/kb/kb.js") },
  { path: "/kb/approvals", label: "nav.kb_approvals", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/approvals.js") },
  { path: "/kb/categories", label: "nav.kb_categories", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/categories.js") },
  { path: "/kb/stats", label: "nav.kb_stats", roles: ["supervisor", "admin"],
    load: () => import("/static/kb/stats.js") },
  // the kb slice's guided-tree editor (src/kefu/kb/static/trees.js): the [kb] approvers
  { path: "/kb/trees", label: "nav.kb_trees", roles: ["supervisor", "admin"],
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
