// The sections of the admin space, in tab order. Add a section: a module exporting
// {id, label, render(panel, params)} and one line here.

import { vendorsSection } from "./vendors.js";
import { commissionsSection } from "./commissions.js";
import { reconciliationSection } from "./reconciliation.js";
import { refundsSection } from "./refunds.js";
import { casesSection } from "./cases.js";
import { messagesSection } from "./messages.js";

export const ADMIN_SECTIONS = [
  vendorsSection,
  commissionsSection,
  reconciliationSection,
  refundsSection,
  casesSection,
  messagesSection,
];
