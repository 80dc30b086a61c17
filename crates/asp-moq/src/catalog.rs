//! The catalog track: the stream facts `/asp/session` gives a page today,
//! as one JSON object, so a subscriber needs nothing out of band.

use serde::{Deserialize, Serialize};

use crate::Error;

/// What a subscriber needs to know before the first packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    /// Always `"asp"`: the objects are ASP packets (ARCHITECTURE.md's wire format).
    pub codec: String,
    /// The track carrying the packets.
    pub track: String,
    /// Picture size in pixels.
    pub width: u32,
    pub height: u32,
    /// Frame rate as a fraction, frames per second = fps_num / fps_den.
    pub fps_num: u32,
    pub fps_den: u32,
}

impl Catalog {
    /// The catalog of a stream of this size and rate on [`crate::VIDEO_TRACK`].
    pub fn new(width: u32, height: u32, fps_num: u32, fps_den: u32) -> Catalog {
        Catalog {
            codec: "asp".into(),
            track: crate::VIDEO_TRACK.into(),
            width,
            height,
            fps_num,
            fps_den,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings and integers always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Catalog, Error> {
        let catalog: Catalog =
            serde_json::from_slice(bytes).map_err(|e| Error::Catalog(e.to_string()))?;
        if catalog.codec != "asp" {
            return Err(Error::Catalog(format!(
                "codec '{}' is not asp",
                catalog.codec
            )));
        }
        Ok(catalog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_the_session_endpoints_spelling() {
        let c = Catalog::new(320, 240, 30, 1);
        let json = String::from_utf8(c.to_json()).unwrap();
        assert!(json.contains("\"fpsNum\":30"), "{json}");
        assert_eq!(Catalog::from_json(json.as_bytes()).unwrap(), c);
        assert!(Catalog::from_json(
            br#"{"codec":"h264","track":"v","width":1,"height":1,"fpsNum":1,"fpsDen":1}"#
        )
        .is_err());
        assert!(Catalog::from_json(b"nope").is_err());
    }
}
