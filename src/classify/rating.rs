//! Ratings: negative at or below a threshold on the platform's own scale.
//!
//! The rule, in one place:
//!
//! * With a per-source `negative_at_or_below`: negative iff `rating <= it`.
//! * Otherwise the rating's position on the scale, `p = (rating - min) / (max - min)`
//!   with `min` defaulting to 0 and `max` to 5, is negative iff `p <= 0.4`, the
//!   position of "2 out of 5". So 2/5 and 4/10 are negative, 3/5 and 5/10 are not;
//!   on an explicit 1..10 scale 4 is negative (p = 0.33) and 5 is not (p = 0.44).
//! * The score is `2p - 1`, clamped to -1..1 (so 0/5 is -1 and 5/5 is 1).
//!
//! * `rating_scale = "nps"`: answers 0..10, negative iff a detractor (0 to 6).
//! * `rating_shift` (per source, or per market through `[markets.<id>]`) is added
//!   to whichever threshold applies: `-1` turns Amazon's 1-3 into 1-2, NPS
//!   detractors 0-6 into 0-5 (the European NPS), 2 of 5 into 1 of 5.
//!
//! A rating that is not a finite number, or a scale whose max is not above its min,
//! is ignored with a reason, and the text decides.

use serde::{Deserialize, Serialize};

use super::TriageInput;

/// Position on the scale at or below which a rating counts as negative (2 of 5).
pub const DEFAULT_NEGATIVE_FRACTION: f64 = 0.4;
pub const DEFAULT_RATING_MAX: f64 = 5.0;
pub const DEFAULT_RATING_MIN: f64 = 0.0;
/// NPS: 0 to 10, detractors 0 to 6.
pub const NPS_MAX: f64 = 10.0;
pub const NPS_DETRACTOR_MAX: f64 = 6.0;

/// How a source's ratings are read (`rating_scale`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RatingScale {
    /// Stars or points on the item's own scale (`rating_min`..`rating_max`, by
    /// default 0..5); negative at or below 2 of 5, scaled, unless the source or its
    /// platform sets `negative_at_or_below`.
    #[default]
    Stars,
    /// Net Promoter Score answers, 0 to 10: detractors (0 to 6) are negative.
    Nps,
}

/// Who decides when stars and text strongly disagree (`on_disagreement`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Disagreement {
    /// The rating decides; the disagreement is reported in the reasons.
    #[default]
    Rating,
    /// The text decides: 5 stars with a furious text is negative, 1 star with a
    /// glowing text is not.
    Text,
    /// Negative if either says so: a furious text alerts whatever the stars.
    Either,
}

impl Disagreement {
    pub fn as_str(self) -> &'static str {
        match self {
            Disagreement::Rating => "rating",
            Disagreement::Text => "text",
            Disagreement::Either => "either",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RatingVerdict {
    pub negative: bool,
    pub score: f64,
    /// 0..1 position on the scale.
    pub position: f64,
    pub reason: String,
}

/// `Ok(None)`: no rating. `Err(reason)`: a rating that cannot be used.
pub(crate) fn judge(input: &TriageInput<'_>) -> Result<Option<RatingVerdict>, String> {
    let Some(rating) = input.rating else {
        return Ok(None);
    };
    let nps = input.rating_scale == RatingScale::Nps;
    let max = input
        .rating_max
        .unwrap_or(if nps { NPS_MAX } else { DEFAULT_RATING_MAX });
    let min = input.rating_min.unwrap_or(DEFAULT_RATING_MIN);
    if !rating.is_finite() {
        return Err(format!("rating {rating} is not a number; ignored"));
    }
    if !(max.is_finite() && min.is_finite() && max > min) {
        return Err(format!(
            "rating scale {}..{} is not usable; rating ignored",
            num(min),
            num(max)
        ));
    }
    let position = ((rating - min) / (max - min)).clamp(0.0, 1.0);
    let score = (2.0 * position - 1.0).clamp(-1.0, 1.0);
    let shown = format!("{}/{}", num(rating), num(max));
    let shift = Some(input.rating_shift).filter(|s| s.is_finite() && *s != 0.0);
    let shifted = |base: f64| -> (f64, String) {
        match shift {
            Some(s) => (
                base + s,
                format!(" ({} shifted by {})", num(base), signed(s)),
            ),
            None => (base, String::new()),
        }
    };
    let at_or_below = |negative: bool| if negative { "at or below" } else { "above" };
    let threshold_source = input.negative_at_or_below.filter(|t| t.is_finite());
    let (negative, reason) = if let Some(t) = threshold_source {
        let (t, note) = shifted(t);
        let negative = rating <= t + 1e-9;
        let label = if nps { "NPS answer" } else { "rating" };
        (
            negative,
            format!(
                "{label} {shown} is {} the source threshold {}{note}",
                at_or_below(negative),
                num(t)
            ),
        )
    } else if nps {
        let (t, note) = shifted(min + NPS_DETRACTOR_MAX * (max - min) / NPS_MAX);
        let negative = rating <= t + 1e-9;
        let band = format!("{}-{}", num(min), num(t));
        (
            negative,
            if negative {
                format!("NPS answer {shown} is a detractor ({band}{note})")
            } else {
                format!("NPS answer {shown} is not a detractor ({band}{note})")
            },
        )
    } else {
        let (t, note) = shifted(min + DEFAULT_NEGATIVE_FRACTION * (max - min));
        let negative = rating <= t + 1e-9;
        (
            negative,
            format!(
                "rating {shown} is {} the threshold {}/{}{note}",
                at_or_below(negative),
                num(t),
                num(max)
            ),
        )
    };
    Ok(Some(RatingVerdict {
        negative,
        score,
        position,
        reason,
    }))
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", num(x))
    } else {
        num(x)
    }
}

/// A number without a useless ".0", at most two decimals.
pub(crate) fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
