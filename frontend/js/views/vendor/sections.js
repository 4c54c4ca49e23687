// The sections of the vendor space, in tab order. Add a section: a module exporting
// {id, label, render(panel, params)} and one line here.

import { onboardingSection } from "./onboarding.js";
import { moneySection } from "./money.js";
import { offersSection } from "./offers.js";
import { ordersSection } from "./orders.js";
import { promotionsSection } from "./promotions.js";
import { keysSection } from "./keys.js";
import { importsSection } from "./imports.js";
import { returnsSection } from "./returns.js";
import { claimsSection } from "./claims.js";
import { returnAnalyticsSection } from "./return-analytics.js";
import { messagesSection } from "./messages.js";
import { satisfactionSection } from "./satisfaction.js";

export const VENDOR_SECTIONS = [
  onboardingSection,
  offersSection,
  importsSection,
  promotionsSection,
  ordersSection,
  returnsSection,
  claimsSection,
  returnAnalyticsSection,
  satisfactionSection,
  moneySection,
  keysSection,
  messagesSection,
];
