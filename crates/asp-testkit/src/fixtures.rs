//! The player fixtures' expected pictures: `crates/asp-core/tests/data/
//! expected.txt`, one line per fixture stream, `name sequence:crc32 ...`
//! (the CRC-32 of each final picture's cropped I420 bytes, in hex), `#`
//! comments. asp-core's player tests write it (with `ASP_WRITE_FIXTURES=1`)
//! and check it; asp-decode, the wasm binding and the Python package are
//! tested to show the same pictures.

use std::path::PathBuf;

/// One fixture's final pictures: `(sequence, crc32)` in the order shown.
pub type Pictures = Vec<(u32, u32)>;

/// `crates/asp-core/tests/data`: the fixture streams and `expected.txt`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../asp-core/tests/data"
    ))
}

/// The header of `expected.txt`.
pub const HEADER: &str =
    "# Final pictures (sequence:CRC-32 of the cropped I420 frame) of each fixture;\n\
                          # written by asp-core's player tests with ASP_WRITE_FIXTURES=1.\n";

/// `expected.txt`'s text for `fixtures` (name and final pictures each).
pub fn format_expected(fixtures: &[(&str, Pictures)]) -> String {
    let mut text = String::from(HEADER);
    for (name, pictures) in fixtures {
        text.push_str(name);
        for (sequence, crc) in pictures {
            text.push_str(&format!(" {sequence}:{crc:08x}"));
        }
        text.push('\n');
    }
    text
}

/// Reads `text` (the format of [`format_expected`]): each fixture's name
/// and final pictures, in file order. A malformed line is an error that
/// names it.
pub fn parse_expected(text: &str) -> Result<Vec<(String, Pictures)>, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words
                .next()
                .ok_or_else(|| format!("no fixture name: {line:?}"))?
                .to_owned();
            let pictures = words
                .map(|w| {
                    let bad = || format!("not sequence:crc32 in {line:?}: {w:?}");
                    let (s, c) = w.split_once(':').ok_or_else(bad)?;
                    Ok((
                        s.parse().map_err(|_| bad())?,
                        u32::from_str_radix(c, 16).map_err(|_| bad())?,
                    ))
                })
                .collect::<Result<_, String>>()?;
            Ok((name, pictures))
        })
        .collect()
}

/// The expected pictures of every fixture, from `expected.txt` in
/// [`data_dir`]; panics (this is for tests) if it is missing or malformed.
pub fn expected() -> Vec<(String, Pictures)> {
    let path = data_dir().join("expected.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_expected(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_parsing_round_trip() {
        let fixtures = [("a", vec![(0, 0x3419469b), (7, 0xa)]), ("b", vec![])];
        let text = format_expected(&fixtures);
        assert!(text.contains("a 0:3419469b 7:0000000a\nb\n"), "{text}");
        let parsed = parse_expected(&text).unwrap();
        assert_eq!(parsed, fixtures.map(|(n, p)| (n.to_owned(), p)));
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(parse_expected("a 0-3419469b\n")
            .unwrap_err()
            .contains("0-3419469b"));
        assert!(parse_expected("a x:1\n").is_err());
        assert!(parse_expected("a 1:zz\n").is_err());
    }

    #[test]
    fn the_checked_in_file_reads() {
        let fixtures = expected();
        assert!(fixtures
            .iter()
            .any(|(name, pictures)| name == "c-stacked" && !pictures.is_empty()));
    }
}
