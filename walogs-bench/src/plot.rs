//! The throughput plot: durable append throughput (ops/s, log scale) against writer threads
//! (1, 4, 16), one line per system, written as SVG text (no plotting dependency).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Context, Result};

/// One line of the plot: a system and its throughput at each thread count (`None`: not
/// measured, the line skips the point).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend text.
    pub name: String,
    /// `(threads, ops/s)`.
    pub points: Vec<(usize, Option<f64>)>,
}

/// Where the plot goes when `--plot` is not given: `target/bench/throughput.svg` of this
/// workspace.
pub fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("bench")
        .join("throughput.svg")
}

const COLORS: &[&str] = &[
    "#1b9e77", "#444444", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
];
const W: f64 = 820.0;
const H: f64 = 480.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 560.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 420.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{}k", v / 1e3)
    } else {
        format!("{v}")
    }
}

/// The SVG document for `series` over the thread counts `xs` (equally spaced: 1, 4, 16 are
/// equally spaced on a log scale).
pub fn render(title: &str, xs: &[usize], series: &[Series]) -> String {
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let (d0, d1) = if values.is_empty() {
        (0, 1)
    } else {
        (
            lo.log10().floor() as i32,
            (hi.log10().ceil() as i32).max(lo.log10().floor() as i32 + 1),
        )
    };
    let y = |v: f64| BOTTOM - (v.log10() - f64::from(d0)) / f64::from(d1 - d0) * (BOTTOM - TOP);
    let x = |i: usize| {
        if xs.len() < 2 {
            (LEFT + RIGHT) / 2.0
        } else {
            LEFT + 30.0 + i as f64 * (RIGHT - LEFT - 60.0) / (xs.len() - 1) as f64
        }
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="25" font-size="15" text-anchor="middle">{}</text>"#,
        (LEFT + RIGHT) / 2.0,
        escape(title)
    );
    for d in d0..=d1 {
        let v = 10f64.powi(d);
        let yy = y(v);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{RIGHT}" y2="{yy:.1}" stroke="#dddddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT - 6.0,
            yy + 4.0,
            si(v)
        );
    }
    for (i, t) in xs.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{t}</text>"#,
            x(i),
            BOTTOM + 18.0
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="black"/>"#,
        RIGHT - LEFT,
        BOTTOM - TOP
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">writer threads</text>"#,
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 40.0
    );
    let _ = writeln!(
        s,
        r#"<text x="20" y="{}" text-anchor="middle" transform="rotate(-90 20 {})">durable appends per second (log scale)</text>"#,
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0
    );
    for (k, ser) in series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let pts: Vec<(f64, f64)> = xs
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let v = ser.points.iter().find(|p| p.0 == *t)?.1?;
                (v > 0.0 && v.is_finite()).then(|| (x(i), y(v)))
            })
            .collect();
        let path: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (a, b) in &pts {
            let _ = writeln!(
                s,
                r#"<circle cx="{a:.1}" cy="{b:.1}" r="3.5" fill="{color}"/>"#
            );
        }
        let ly = TOP + 10.0 + k as f64 * 22.0;
        let _ = writeln!(
            s,
            r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
            RIGHT + 20.0,
            RIGHT + 45.0,
            RIGHT + 52.0,
            ly + 4.0,
            escape(&ser.name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Write `svg` to `path`, creating its directory.
pub fn write(path: &Path, svg: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).ctx(format!("create {}", parent.display()))?;
    }
    std::fs::write(path, svg).ctx(format!("write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, v: [Option<f64>; 3]) -> Series {
        Series {
            name: name.into(),
            points: vec![(1, v[0]), (4, v[1]), (16, v[2])],
        }
    }

    #[test]
    fn one_line_per_series_and_missing_points_skipped() {
        let svg = render(
            "t <&>",
            &[1, 4, 16],
            &[
                series("a & b", [Some(500.0), Some(2000.0), Some(9000.0)]),
                series("c", [Some(300.0), None, Some(400.0)]),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 5);
        assert!(svg.contains("a &amp; b") && svg.contains("t &lt;&amp;&gt;"));
        // Decades from 100 to 10k are labelled.
        for label in [">100<", ">1k<", ">10k<"] {
            assert!(svg.contains(label), "{label}");
        }
    }

    #[test]
    fn higher_throughput_is_higher_on_the_page() {
        let svg = render(
            "",
            &[1, 4, 16],
            &[series("a", [Some(100.0), Some(1000.0), Some(10000.0)])],
        );
        let line = svg.lines().find(|l| l.starts_with("<polyline")).unwrap();
        let ys: Vec<f64> = line
            .split('"')
            .nth(1)
            .unwrap()
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(ys[0] > ys[1] && ys[1] > ys[2], "{ys:?}");
        assert!(ys.iter().all(|&v| (TOP..=BOTTOM).contains(&v)));
    }

    #[test]
    fn empty_plot_is_still_a_document() {
        let svg = render("none", &[1, 4, 16], &[series("x", [None, None, None])]);
        assert!(svg.contains("<polyline points=\"\""));
    }
}
