//! The growth features' refusals a customer reads, as fixed texts the language layer maps to
//! catalog messages (`i18n::refusal`). A refusal carrying a value (a code, a number of days) is
//! framed by the catalog with the value as its detail.

/// `/trial` when the shop offers none.
pub const TRIAL_OFF: &str = "this shop offers no trial";
/// `/trial` a second time.
pub const TRIAL_ALREADY: &str = "you already had your free trial";
/// `/trial` by a customer who has (or had) access.
pub const TRIAL_NOT_NEW: &str = "the trial is for new customers; use /renew";
/// `/referral` when the shop has no programme.
pub const REFERRALS_OFF: &str = "this shop has no referral programme";
/// Binding one's own referral code.
pub const REFERRAL_OWN: &str = "you cannot use your own referral code";
/// Binding a second referral code.
pub const REFERRAL_ALREADY: &str = "you already used a referral code";
/// Binding a referral code after ordering.
pub const REFERRAL_NOT_FIRST: &str = "referral codes are for a customer's first order";
/// `/redeem` or `/gift` when the shop has no gifts.
pub const GIFTS_OFF: &str = "this shop has no gifts";
/// `/redeem` with an account too new.
pub const GIFT_ACCOUNT_TOO_NEW: &str = "your Discord account is too new to redeem a gift";
/// `/redeem` with an unknown token.
pub const GIFT_INVALID: &str = "this gift code is not valid";
/// `/redeem` of a gift redeemed before.
pub const GIFT_REDEEMED: &str = "this gift was redeemed already";
/// `/redeem` of a revoked gift.
pub const GIFT_REVOKED: &str = "this gift was revoked";
/// `/redeem` of an expired gift.
pub const GIFT_EXPIRED: &str = "this gift code has expired";
/// `/redeem` by the gift's buyer.
pub const GIFT_OWN: &str = "a gift is for someone else: you cannot redeem your own";
/// `/redeem` of a gift whose plan is no longer sold.
pub const GIFT_PLAN_GONE: &str = "the plan of this gift is no longer sold; ask staff";
/// The prefix of a banned customer's refusal (the admin's reason follows).
pub const BANNED_PREFIX: &str = "you cannot order in this shop";

/// Every fixed refusal with its catalog message id.
pub const CATALOG: &[(&str, &str)] = &[
    (TRIAL_OFF, "refused-trial-off"),
    (TRIAL_ALREADY, "refused-trial-already"),
    (TRIAL_NOT_NEW, "refused-trial-not-new"),
    (REFERRALS_OFF, "refused-referrals-off"),
    (REFERRAL_OWN, "refused-referral-own"),
    (REFERRAL_ALREADY, "refused-referral-already"),
    (REFERRAL_NOT_FIRST, "refused-referral-not-first"),
    (GIFTS_OFF, "refused-gifts-off"),
    (GIFT_ACCOUNT_TOO_NEW, "refused-gift-too-new"),
    (GIFT_INVALID, "refused-gift-invalid"),
    (GIFT_REDEEMED, "refused-gift-redeemed"),
    (GIFT_REVOKED, "refused-gift-revoked"),
    (GIFT_EXPIRED, "refused-gift-expired"),
    (GIFT_OWN, "refused-gift-own"),
    (GIFT_PLAN_GONE, "refused-gift-plan-gone"),
];
