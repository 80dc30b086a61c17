//! The player's WebGPU renderer: asp-render's [`CanvasRenderer`] (the
//! same WGSL, colour rows and letterbox as the native renderer) on the
//! worker's `OffscreenCanvas`, drawing the [`Decoder`]'s picture on show
//! straight from this module's memory.
//!
//! ```js
//! const renderer = await WebGpuRenderer.create(offscreenCanvas, false); // undefined: no WebGPU
//! if (decoder.next_frame()) renderer.draw(decoder);
//! await renderer.when_drawn();
//! ```

use asp_core::schema::{ColorMatrix, ColorRange};
use asp_render::{CanvasRenderer, ColourRows, Planes};
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::OffscreenCanvas;

use crate::Decoder;

fn js_error(error: asp_render::Error) -> JsError {
    JsError::new(&error.to_string())
}

/// A WebGPU renderer on an `OffscreenCanvas`. See the module documentation.
#[wasm_bindgen]
pub struct WebGpuRenderer {
    inner: CanvasRenderer,
}

#[wasm_bindgen]
impl WebGpuRenderer {
    /// A renderer on `canvas`, or undefined when this browser gives no
    /// WebGPU adapter or device (the canvas is then left untouched, free
    /// for another context). `readable`: `read_top` may read it back.
    pub async fn create(canvas: OffscreenCanvas, readable: bool) -> Result<Option<WebGpuRenderer>, JsError> {
        crate::install_panic_hook();
        let inner = CanvasRenderer::new(canvas, readable).await.map_err(js_error)?;
        Ok(inner.map(|inner| WebGpuRenderer { inner }))
    }

    /// The adapter's description as the browser gives it (may be empty).
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.adapter_name().to_owned()
    }

    /// Draws `decoder`'s picture on show with its stream's colour matrix
    /// and range, letterboxed; an error when there is none, or the device
    /// failed.
    pub fn draw(&mut self, decoder: &Decoder) -> Result<(), JsError> {
        let frame = decoder.player().picture().ok_or_else(|| JsError::new("no picture to draw"))?;
        let (matrix, range) = decoder
            .player()
            .facts()
            .map_or((ColorMatrix::Bt709, ColorRange::Limited), |f| (f.color_matrix, f.color_range));
        self.inner.draw(&Planes::of_frame(frame), ColourRows::new(matrix, range)).map_err(js_error)
    }

    /// Paints the canvas black.
    pub fn clear(&mut self) -> Result<(), JsError> {
        self.inner.clear().map_err(js_error)
    }

    /// Resolves once the GPU has done the drawing issued so far.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn when_drawn(&self) -> Promise {
        let done = self.inner.when_drawn();
        wasm_bindgen_futures::future_to_promise(async move {
            done.await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Measurement hook (a renderer made `readable`): RGBA of the top
    /// `rows` rows just drawn. Call in the same task as `draw`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint8Array>")]
    pub fn read_top(&self, rows: u32) -> Promise {
        let pixels = self.inner.read_top(rows);
        wasm_bindgen_futures::future_to_promise(async move {
            let rgba = pixels.await.map_err(|e| JsValue::from(js_error(e)))?;
            Ok(Uint8Array::from(rgba.as_slice()).into())
        })
    }

    /// Gives the device back now; the renderer cannot draw after.
    pub fn release(&mut self) {
        self.inner.release();
    }
}
