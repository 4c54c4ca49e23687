// The sections of the admin space, in tab order. Add a section: a module exporting
// {id, label, render(panel, params)} and one line here.

import { vendorsSection } from "./vendors.js";
import { commissionsSection } from "./commissions.js";
import { reconciliationSection } from "./reconciliation.js";
import { returnsSection } from "./returns.js";
import { refundsSection } from "./refunds.js";
import { casesSection } from "./cases.js";
import { analyticsSection } from "./analytics.js";
import { messagesSection } from "./messages.js";
import { satisfactionSection } from "./satisfaction.js";

export const ADMIN_SECTIONS = [
  vendorsSection,
  commissionsSection,
  reconciliationSection,
  returnsSection,
  refundsSection,
  casesSection,
  analyticsSection,
  satisfactionSection,
  messagesSection,
];
