// The sections of the admin space, in tab order. Add a section: a module exporting
// {id, label, render(panel, params)} and one line here.

import { commissionsSection } from "./commissions.js";
import { reconciliationSection } from "./reconciliation.js";

export const ADMIN_SECTIONS = [
  commissionsSection,
  reconciliationSection,
];
