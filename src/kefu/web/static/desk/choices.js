// Choice lists (pause reasons, wrap-up types and results, ...) come from GET /choices:
// the server defines each once, so a pause reason added to the config reaches every desk.

import { get } from "./api.js";
import { known, t } from "./i18n.js";
import { el } from "./util.js";

let pending = null;

/** The server's lists, fetched once per page. */
export function choices() {
  pending ??= get("/choices").catch((err) => { pending = null; throw err; });
  return pending;
}

/** One <option> per value: translated (and re-translated on a language switch) when the
 *  dictionary knows `${prefix}.${value}`, else the value as configured. */
export function choiceOptions(prefix, values) {
  return values.map((value) => {
    const key = `${prefix}.${value}`;
    return known(key) ? el("option", { value, "data-i18n": key }, t(key))
      : el("option", { value }, value);
  });
}
