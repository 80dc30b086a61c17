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
    /// The track carrying the packets: with renditions, the first (highest)
    /// one, so a reader that knows nothing of renditions plays that.
    pub track: String,
    /// Picture size in pixels.
    pub width: u32,
    pub height: u32,
    /// Frame rate as a fraction, frames per second = fps_num / fps_den.
    pub fps_num: u32,
    pub fps_den: u32,
    /// The same source at several bitrates, one track each, highest first
    /// (`asp-encode --rendition`); empty for a single stream. Keyframe runs
    /// are aligned: the groups of every track start at the same frames and
    /// have the same ids, so a player switches tracks at a group boundary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<Rendition>,
}

/// One rendition of a stream published at several bitrates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rendition {
    /// Its track ([`rendition_track`]).
    pub track: String,
    /// The encoder's target, bits per second.
    pub bitrate: u64,
    /// Picture size in pixels.
    pub width: u32,
    pub height: u32,
}

impl Rendition {
    /// The rendition at `bits_per_second`, `first` if it is the highest
    /// (its track is [`crate::VIDEO_TRACK`]).
    pub fn new(first: bool, bits_per_second: u64, width: u32, height: u32) -> Rendition {
        Rendition {
            track: rendition_track(first, bits_per_second),
            bitrate: bits_per_second,
            width,
            height,
        }
    }
}

/// The track of a rendition: [`crate::VIDEO_TRACK`] for the first (highest)
/// one, so today's subscribers play it; `video-` and the bitrate for the
/// others, in the `--rendition` flag's short spelling: `video-600k`,
/// `video-2M`, `video-1500k`, `video-123456` (bits per second when it is
/// not a whole number of kilobits).
pub fn rendition_track(first: bool, bits_per_second: u64) -> String {
    if first {
        return crate::VIDEO_TRACK.to_string();
    }
    let rate = if bits_per_second % 1_000_000 == 0 {
        format!("{}M", bits_per_second / 1_000_000)
    } else if bits_per_second % 1_000 == 0 {
        format!("{}k", bits_per_second / 1_000)
    } else {
        bits_per_second.to_string()
    };
    format!("{}-{rate}", crate::VIDEO_TRACK)
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
            renditions: Vec::new(),
        }
    }

    /// The catalog of a stream published as `renditions` (highest first;
    /// the first one's track is [`crate::VIDEO_TRACK`]). `track`, `width`
    /// and `height` are the first one's, for readers of the single-stream
    /// catalog.
    pub fn with_renditions(mut self, renditions: Vec<Rendition>) -> Catalog {
        if let Some(first) = renditions.first() {
            self.track = first.track.clone();
            self.width = first.width;
            self.height = first.height;
        }
        self.renditions = renditions;
        self
    }

    /// The tracks carrying packets: the renditions', else [`Catalog::track`].
    pub fn video_tracks(&self) -> Vec<&str> {
        if self.renditions.is_empty() {
            vec![self.track.as_str()]
        } else {
            self.renditions.iter().map(|r| r.track.as_str()).collect()
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
        assert!(
            !json.contains("renditions"),
            "a single stream's catalog is unchanged: {json}"
        );
        assert_eq!(Catalog::from_json(json.as_bytes()).unwrap(), c);
        assert!(Catalog::from_json(
            br#"{"codec":"h264","track":"v","width":1,"height":1,"fpsNum":1,"fpsDen":1}"#
        )
        .is_err());
        assert!(Catalog::from_json(b"nope").is_err());
    }

    #[test]
    fn lists_renditions_and_keeps_the_single_stream_fields() {
        let c = Catalog::new(320, 240, 30, 1).with_renditions(vec![
            Rendition::new(true, 2_000_000, 320, 240),
            Rendition::new(false, 600_000, 320, 240),
        ]);
        let json = String::from_utf8(c.to_json()).unwrap();
        assert!(json.contains("\"track\":\"video\""), "{json}");
        assert!(
            json.contains(r#"{"track":"video-600k","bitrate":600000,"width":320,"height":240}"#),
            "{json}"
        );
        assert_eq!(Catalog::from_json(json.as_bytes()).unwrap(), c);
        assert_eq!(c.video_tracks(), ["video", "video-600k"]);
        assert_eq!(Catalog::new(1, 1, 1, 1).video_tracks(), ["video"]);
    }

    #[test]
    fn rendition_tracks_are_spelled_like_the_flag() {
        assert_eq!(rendition_track(true, 600_000), "video");
        assert_eq!(rendition_track(false, 600_000), "video-600k");
        assert_eq!(rendition_track(false, 2_000_000), "video-2M");
        assert_eq!(rendition_track(false, 1_500_000), "video-1500k");
        assert_eq!(rendition_track(false, 123_456), "video-123456");
    }
}
