//! The bundled face cascade on real photographs (fixtures in tests/data,
//! provenance and licences in tests/data/README.md).

use asp_core::schema::RoiType;
use asp_encoder::analysis::{detect_roi, FaceDetector, FaceParams, Image, RoiMethod};

/// Reads a binary PGM (P5, maxval 255): `(width, height, pixels)`.
fn read_pgm(name: &str) -> (usize, usize, Vec<u8>) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"));
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[at + 1..at + 1 + w * h].to_vec())
}

#[test]
fn finds_the_astronauts_face() {
    let (w, h, pixels) = read_pgm("astronaut-256.pgm");
    let image = Image::gray(&pixels, w, h).unwrap();
    let faces = FaceDetector::bundled().unwrap().detect(&image, &FaceParams::default()).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = faces[0];
    assert_eq!(f.kind, RoiType::Face);
    // Eileen Collins' face in the 256x256 picture: about x 85..125, y 25..75
    // (measured by eye on the fixture). The box must sit on it.
    let (cx, cy) = (f.x + f.width / 2, f.y + f.height / 2);
    assert!((90..=120).contains(&cx) && (35..=65).contains(&cy), "{f:?}");
    assert!((30..=80).contains(&f.width), "{f:?}");
    assert!(f.confidence > 0.0 && f.confidence <= 1.0);
}

#[test]
fn finds_no_face_in_a_coffee_cup() {
    let (w, h, pixels) = read_pgm("coffee-300x200.pgm");
    let image = Image::gray(&pixels, w, h).unwrap();
    let faces = FaceDetector::bundled().unwrap().detect(&image, &FaceParams::default()).unwrap();
    assert!(faces.is_empty(), "{faces:?}");
}

#[test]
fn detect_roi_runs_the_named_detectors() {
    let (w, h, pixels) = read_pgm("astronaut-256.pgm");
    let image = Image::gray(&pixels, w, h).unwrap();
    let methods = RoiMethod::parse_list("face").unwrap();
    let regions = detect_roi(&image, None, &methods, None).unwrap();
    assert_eq!(regions.iter().filter(|r| r.kind == RoiType::Face).count(), 1);
    assert!(RoiMethod::parse_list("face,nose").is_err());
}
