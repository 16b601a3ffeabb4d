"""The three tiers in one place (pure: no Django): their order, and how soon
a nurse should open a flag of each.

Two orders, named for what they mean, because both are used: SEVERITY
(higher is worse: the engine keeps the highest, a flag's tier only rises)
and QUEUE_RANK (0 first: the queue, her pages and the stored
`Flag.tier_rank` put emergencies first). Labels are tracker.models.Tier's
(Django choices). Migrations keep their own constants."""

import datetime as dt

TIERS = ("routine", "urgent", "emergency")  # lowest to highest
SEVERITY = {tier: rank for rank, tier in enumerate(TIERS)}
QUEUE_RANK = {tier: len(TIERS) - 1 - rank for tier, rank in SEVERITY.items()}  # emergency 0, urgent 1, routine 2
HIGHEST_FIRST = tuple(reversed(TIERS))  # as lists, counts and choices show them
REVIEW_WINDOW = {
    "emergency": dt.timedelta(hours=1),
    "urgent": dt.timedelta(hours=24),
    "routine": dt.timedelta(days=5),
}
