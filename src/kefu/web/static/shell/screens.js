// The one list of the shell's screens: a business module adds its entry here.
// `path` is the client-side route (#/path), `label` an i18n key, `roles` who sees it in
// the navigation (and may open it), `page` the existing page the screen embeds until it
// is ported to a Preact component (then `view: Component` instead).

export const SCREENS = [
  { path: "/wall", label: "nav.wall", roles: ["supervisor", "admin"], page: "/wall" },
  { path: "/desk", label: "nav.desk", roles: ["agent", "supervisor", "admin"], page: "/desk" },
];

/** The screens `role` may use, in navigation order (the first is where it lands). */
export const screensFor = (role) => SCREENS.filter((s) => s.roles.includes(role));
