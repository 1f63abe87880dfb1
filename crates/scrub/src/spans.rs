//! Resolving overlapping matches into the spans to replace. Secrets win outright: a match that
//! overlaps a secret is swallowed by it, so no fragment of a credential survives next to a
//! name. Among names and addresses, the longest match wins, then the more specific matcher.

use crate::Category;

/// Which dictionary a name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The snapshot's.
    Main,
    /// Names added to this scrubber.
    Extra,
}

/// What replaces a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A secret value.
    Secret,
    /// A dictionary pattern (a name or a composite).
    Pattern(Source, u32),
    /// A value found by a detector or a user pattern.
    Found(Category),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) target: Target,
    /// Lower wins between spans of equal length.
    pub(crate) rank: usize,
}

impl Span {
    fn len(&self) -> usize {
        self.end - self.start
    }

    fn is_secret(&self) -> bool {
        self.target == Target::Secret
    }
}

/// Non-overlapping spans, left to right.
pub(crate) fn resolve(text: &str, mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end), s.rank));
    let mut out = Vec::with_capacity(spans.len());
    let mut cluster: Vec<Span> = Vec::new();
    let mut cluster_end = 0;
    for span in spans {
        if !cluster.is_empty() && span.start >= cluster_end {
            settle(text, &mut cluster, &mut out);
        }
        cluster_end = if cluster.is_empty() {
            span.end
        } else {
            cluster_end.max(span.end)
        };
        cluster.push(span);
    }
    settle(text, &mut cluster, &mut out);
    out
}

/// Turns one cluster of transitively overlapping spans into non-overlapping ones.
fn settle(text: &str, cluster: &mut Vec<Span>, out: &mut Vec<Span>) {
    if cluster.is_empty() {
        return;
    }
    if cluster.len() == 1 {
        out.append(cluster);
        return;
    }
    if cluster.iter().any(Span::is_secret) {
        let start = cluster.iter().map(|s| s.start).min().unwrap_or(0);
        let end = cluster.iter().map(|s| s.end).max().unwrap_or(start);
        out.push(Span {
            start,
            end,
            target: Target::Secret,
            rank: 0,
        });
        cluster.clear();
        return;
    }
    cluster.sort_by_key(|s| (std::cmp::Reverse(s.len()), s.rank, s.start));
    let mut chosen: Vec<Span> = Vec::new();
    let mut dropped: Vec<Span> = Vec::new();
    for span in cluster.drain(..) {
        if chosen
            .iter()
            .all(|c| span.end <= c.start || span.start >= c.end)
        {
            chosen.push(span);
        } else {
            dropped.push(span);
        }
    }
    // What a partly overlapped match leaves outside the chosen ones is replaced on its own, so
    // that no fragment of a name or address survives next to a pseudonym.
    let mut pieces = Vec::new();
    for span in dropped {
        let mut at = span.start;
        let mut covering: Vec<&Span> = chosen
            .iter()
            .filter(|c| c.end > span.start && c.start < span.end)
            .collect();
        covering.sort_by_key(|c| c.start);
        for c in covering {
            if c.start > at {
                pieces.push((at, c.start, span));
            }
            at = at.max(c.end);
        }
        if at < span.end {
            pieces.push((at, span.end, span));
        }
    }
    pieces.sort_by_key(|&(start, _, _)| start);
    let mut merged: Vec<(usize, usize, Span)> = Vec::new();
    for (start, end, span) in pieces {
        // Trim separators: `-api` left of `checkout` is `api`.
        let piece = &text[start..end];
        let lead = piece.len()
            - piece
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .len();
        let trail = piece.len() - piece.trim_end_matches(|c: char| !c.is_alphanumeric()).len();
        let (start, end) = (start + lead, end.saturating_sub(trail));
        if end <= start {
            continue;
        }
        match merged.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end, span)),
        }
    }
    for (start, end, span) in merged {
        let category = match span.target {
            Target::Found(category) => category,
            _ => Category::Name,
        };
        chosen.push(Span {
            start,
            end,
            target: Target::Found(category),
            rank: span.rank,
        });
    }
    chosen.sort_by_key(|s| s.start);
    out.extend(chosen);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize, target: Target, rank: usize) -> Span {
        Span {
            start,
            end,
            target,
            rank,
        }
    }

    const TEXT: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    const HOST: Target = Target::Found(Category::Host);
    const NAME: Target = Target::Pattern(Source::Main, 0);

    #[test]
    fn the_longest_match_wins_and_ties_go_to_the_lower_rank() {
        let out = resolve(
            TEXT,
            vec![
                span(0, 5, NAME, 0),
                span(0, 12, HOST, 3),
                span(20, 25, HOST, 3),
            ],
        );
        assert_eq!(out, vec![span(0, 12, HOST, 3), span(20, 25, HOST, 3)]);
        let out = resolve(TEXT, vec![span(0, 5, HOST, 3), span(0, 5, NAME, 0)]);
        assert_eq!(out, vec![span(0, 5, NAME, 0)]);
    }

    #[test]
    fn a_secret_swallows_what_overlaps_it() {
        let out = resolve(
            TEXT,
            vec![span(0, 10, NAME, 0), span(8, 20, Target::Secret, 1)],
        );
        assert_eq!(out, vec![span(0, 20, Target::Secret, 0)]);
    }

    #[test]
    fn what_a_partly_overlapped_match_leaves_is_replaced_too() {
        let out = resolve(TEXT, vec![span(0, 10, HOST, 3), span(6, 14, NAME, 0)]);
        assert_eq!(
            out,
            vec![
                span(0, 10, HOST, 3),
                span(10, 14, Target::Found(Category::Name), 0)
            ]
        );
    }

    #[test]
    fn adjacent_spans_stay_apart() {
        let out = resolve(TEXT, vec![span(0, 5, NAME, 0), span(5, 9, HOST, 2)]);
        assert_eq!(out.len(), 2);
    }
}
