//! Repeated measurements and their summaries: median and spread (min–max), the only statistics
//! the report uses.

use std::time::Duration;

/// Repeated measurements of one quantity, in the order they were taken.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    values: Vec<f64>,
}

impl Samples {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    pub fn push_duration(&mut self, duration: Duration) {
        self.push(duration.as_secs_f64());
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// The median (the mean of the two middle values for an even count); `None` when empty.
    pub fn median(&self) -> Option<f64> {
        if self.is_empty() {
            return None;
        }
        let sorted = self.sorted();
        let n = sorted.len();
        if n % 2 == 1 {
            Some(sorted[n / 2])
        } else {
            Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0)
        }
    }

    pub fn min(&self) -> Option<f64> {
        self.sorted().first().copied()
    }

    pub fn max(&self) -> Option<f64> {
        self.sorted().last().copied()
    }

    /// Element-wise `self[i] / other[i]` for paired measurements (taken in the same round).
    pub fn ratios(&self, other: &Samples) -> Samples {
        Samples {
            values: self
                .values
                .iter()
                .zip(&other.values)
                .filter(|(_, b)| **b > 0.0)
                .map(|(a, b)| a / b)
                .collect(),
        }
    }

    /// The summary in a unit: `scale` multiplies every value (1000 turns seconds into ms).
    pub fn summary(&self, scale: f64) -> Option<Summary> {
        Some(Summary {
            median: self.median()? * scale,
            min: self.min()? * scale,
            max: self.max()? * scale,
            count: self.len(),
        })
    }
}

/// Median and spread of a set of samples, already in the unit they are shown in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

impl Summary {
    /// `min–max UNIT, n=K` with `decimals` digits (`unit` may be empty).
    pub fn spread(&self, decimals: usize, unit: &str) -> String {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        format!(
            "{:.decimals$}–{:.decimals$}{unit}, n={}",
            self.min, self.max, self.count
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(values: &[f64]) -> Samples {
        let mut s = Samples::new();
        for v in values {
            s.push(*v);
        }
        s
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(samples(&[3.0, 1.0, 2.0]).median(), Some(2.0));
        assert_eq!(samples(&[4.0, 1.0, 3.0, 2.0]).median(), Some(2.5));
        assert_eq!(samples(&[]).median(), None);
    }

    #[test]
    fn summary_scales_and_spreads() {
        let s = samples(&[0.004, 0.002, 0.003]).summary(1000.0).unwrap();
        assert!((s.median - 3.0).abs() < 1e-9);
        assert!((s.min - 2.0).abs() < 1e-9);
        assert!((s.max - 4.0).abs() < 1e-9);
        assert_eq!(s.spread(1, "ms"), "2.0–4.0 ms, n=3");
        assert_eq!(s.spread(0, ""), "2–4, n=3");
    }

    #[test]
    fn ratios_pair_values_and_skip_zero_denominators() {
        let r = samples(&[2.0, 3.0, 5.0]).ratios(&samples(&[1.0, 0.0, 2.0]));
        assert_eq!(r.len(), 2);
        assert_eq!(r.median(), Some(2.25));
    }
}
