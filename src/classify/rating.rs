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
//! A rating that is not a finite number, or a scale whose max is not above its min,
//! is ignored with a reason, and the text decides.

use super::TriageInput;

/// Position on the scale at or below which a rating counts as negative (2 of 5).
pub const DEFAULT_NEGATIVE_FRACTION: f64 = 0.4;
pub const DEFAULT_RATING_MAX: f64 = 5.0;
pub const DEFAULT_RATING_MIN: f64 = 0.0;

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
    let max = input.rating_max.unwrap_or(DEFAULT_RATING_MAX);
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
    if let Some(t) = input.negative_at_or_below.filter(|t| t.is_finite()) {
        let negative = rating <= t;
        let reason = if negative {
            format!(
                "rating {shown} is at or below the source threshold {}",
                num(t)
            )
        } else {
            format!("rating {shown} is above the source threshold {}", num(t))
        };
        return Ok(Some(RatingVerdict {
            negative,
            score,
            position,
            reason,
        }));
    }
    let negative = position <= DEFAULT_NEGATIVE_FRACTION + 1e-9;
    let threshold = min + DEFAULT_NEGATIVE_FRACTION * (max - min);
    let reason = format!(
        "rating {shown} is {} the threshold {}/{}",
        if negative { "at or below" } else { "above" },
        num(threshold),
        num(max)
    );
    Ok(Some(RatingVerdict {
        negative,
        score,
        position,
        reason,
    }))
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
