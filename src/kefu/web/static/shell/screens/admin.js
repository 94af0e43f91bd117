// Administration (系统管理): a placeholder until the admin screens' issue; it points to
// the API documentation, which does everything the screens will.

import { html } from "htm/preact";
import { t } from "../i18n.js";

export default function Admin() {
  return html`<section class="panel admin" id="admin-screen">
    <h2>${t("nav.admin")}</h2>
    <p class="muted">${t("admin.soon")} <a href="/docs" target="_blank">/docs</a></p>
  </section>`;
}
