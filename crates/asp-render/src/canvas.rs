//! The browser player's WebGPU path: [`Renderer`] drawing on an
//! `OffscreenCanvas` (the player worker's) through wgpu's `webgpu` backend.
//! The planes are borrowed from wasm memory and handed to the browser's
//! `queue.writeTexture` as views of it, with no copy through JS arrays.
//!
//! The canvas is claimed (its `webgpu` context taken) only once an adapter
//! and a device exist, so a browser without WebGPU leaves the canvas free
//! for the WebGL2 or Canvas2D renderer.
//!
//! Errors the device reports (validation, out of memory) would panic in
//! wgpu's default handler; here they are kept and returned once, by the
//! next call, as [`Error::DeviceFailed`]. A lost device fails every call
//! after it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use web_sys::OffscreenCanvas;

use crate::colour::ColourRows;
use crate::planes::Planes;
use crate::renderer::{black_pass, Renderer};
use crate::Error;

/// A failure the device reported, if any (the first since it was last taken).
type Failure = Arc<Mutex<Option<String>>>;

fn note(failure: &Failure, message: String) {
    if let Ok(mut slot) = failure.lock() {
        slot.get_or_insert(message);
    }
}

/// A copy of the canvas's top rows on its way to a mappable buffer.
struct PendingReadback {
    buffer: wgpu::Buffer,
    /// Answers once the buffer is mapped (or cannot be).
    mapped: futures_channel::oneshot::Receiver<Result<(), wgpu::BufferAsyncError>>,
    width: u32,
    rows: u32,
    /// Bytes a row in the buffer: `4 * width` rounded up to wgpu's copy alignment.
    padded_row_bytes: u32,
    /// The canvas is B, G, R, A in memory.
    bgra: bool,
}

/// The shared [`Renderer`] on an `OffscreenCanvas`.
pub struct CanvasRenderer {
    canvas: OffscreenCanvas,
    device: wgpu::Device,
    queue: wgpu::Queue,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
    adapter_name: String,
    /// An uncaptured error, reported once.
    error: Failure,
    /// Why the device was lost: every call fails after.
    lost: Failure,
    /// The canvas texture drawn last, while it can be read back (the
    /// browser keeps it until the end of the current task).
    drawn: Option<wgpu::Texture>,
}

impl CanvasRenderer {
    /// A renderer on `canvas`, or `Ok(None)` when this browser gives no
    /// WebGPU adapter or device (the canvas is then left untouched).
    /// `readable`: the canvas can be read back ([`CanvasRenderer::read_top`]).
    pub async fn new(
        canvas: OffscreenCanvas,
        readable: bool,
    ) -> Result<Option<CanvasRenderer>, Error> {
        if !wgpu::util::is_browser_webgpu_supported().await {
            return Ok(None);
        }
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::BROWSER_WEBGPU,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let Ok(adapter) = instance
            .request_adapter(&wgpu::RequestAdapterOptions::default())
            .await
        else {
            return Ok(None);
        };
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("asp-render"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
            ..Default::default()
        };
        let Ok((device, queue)) = adapter.request_device(&descriptor).await else {
            return Ok(None);
        };
        let (error, lost) = (Failure::default(), Failure::default());
        let on_error = error.clone();
        device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
            note(&on_error, error.to_string())
        }));
        let on_loss = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            note(&on_loss, format!("device lost ({reason:?}): {message}"))
        });
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::OffscreenCanvas(canvas.clone()))
            .map_err(|e| Error::Surface(e.to_string()))?;
        // The browser offers its preferred format first: bgra8unorm or
        // rgba8unorm, never sRGB, so the shader's R'G'B' lands unchanged.
        let format = surface
            .get_capabilities(&adapter)
            .formats
            .into_iter()
            .find(|f| !f.is_srgb())
            .unwrap_or(wgpu::TextureFormat::Bgra8Unorm);
        let usage = if readable {
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC
        } else {
            wgpu::TextureUsages::RENDER_ATTACHMENT
        };
        let config = wgpu::SurfaceConfiguration {
            usage,
            format,
            color_space: Default::default(),
            width: canvas.width().max(1),
            height: canvas.height().max(1),
            present_mode: wgpu::PresentMode::Fifo,
            desired_maximum_frame_latency: 1,
            alpha_mode: wgpu::CompositeAlphaMode::Opaque,
            view_formats: Vec::new(),
        };
        surface.configure(&device, &config);
        let renderer = Renderer::new(&device, &queue, format)?;
        Ok(Some(CanvasRenderer {
            canvas,
            device,
            queue,
            surface,
            config,
            renderer,
            adapter_name: adapter.get_info().name,
            error,
            lost,
            drawn: None,
        }))
    }

    /// The adapter's description as the browser gives it (may be empty).
    pub fn adapter_name(&self) -> &str {
        &self.adapter_name
    }

    fn check_device(&self) -> Result<(), Error> {
        let poisoned = || Error::DeviceFailed("the error record was poisoned".into());
        if let Some(message) = self.lost.lock().map_err(|_| poisoned())?.as_ref() {
            return Err(Error::DeviceFailed(message.clone()));
        }
        match self.error.lock().map_err(|_| poisoned())?.take() {
            Some(message) => Err(Error::DeviceFailed(message)),
            None => Ok(()),
        }
    }

    /// Follows the canvas's size (the player sets it); the canvas texture
    /// has the size of the last configuration.
    fn follow_canvas_size(&mut self) {
        let (width, height) = (self.canvas.width().max(1), self.canvas.height().max(1));
        if (width, height) != (self.config.width, self.config.height) {
            self.config.width = width;
            self.config.height = height;
            self.surface.configure(&self.device, &self.config);
        }
    }

    /// Uploads `planes` and draws them, letterboxed on black, on the canvas.
    pub fn draw(&mut self, planes: &Planes<'_>, rows: ColourRows) -> Result<(), Error> {
        self.check_device()?;
        self.renderer.upload(planes, rows)?;
        let drawn = self.present("asp-render canvas", |renderer, encoder, view, (width, height)| {
            renderer.draw(encoder, view, width, height)
        })?;
        self.drawn = Some(drawn);
        Ok(())
    }

    /// Paints the canvas black (readable as drawn, like a picture).
    pub fn clear(&mut self) -> Result<(), Error> {
        self.check_device()?;
        let cleared = self.present("asp-render clear", |_, encoder, view, _| {
            drop(black_pass(encoder, view, "asp-render clear"));
        })?;
        self.drawn = Some(cleared);
        Ok(())
    }

    /// One frame on the canvas: follows its size, records `paint` into a
    /// command encoder labelled `label` for the canvas's current texture
    /// (its view and size), submits and presents it; returns the texture.
    fn present(
        &mut self,
        label: &str,
        paint: impl FnOnce(&mut Renderer, &mut wgpu::CommandEncoder, &wgpu::TextureView, (u32, u32)),
    ) -> Result<wgpu::Texture, Error> {
        self.follow_canvas_size();
        let frame = self.current_texture()?;
        let view = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        paint(&mut self.renderer, &mut encoder, &view, (self.config.width, self.config.height));
        self.queue.submit([encoder.finish()]);
        let texture = frame.texture.clone();
        self.queue.present(frame);
        Ok(texture)
    }

    fn current_texture(&self) -> Result<wgpu::SurfaceTexture, Error> {
        match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame)
            | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => Ok(frame),
            other => Err(Error::Surface(format!("{other:?}"))),
        }
    }

    /// Resolves once the GPU has done the work submitted so far.
    pub fn when_drawn(&self) -> impl Future<Output = ()> + 'static {
        let (sender, receiver) = futures_channel::oneshot::channel();
        self.queue.on_submitted_work_done(move || {
            // The receiver is gone only if the caller stopped waiting.
            let _ = sender.send(());
        });
        async move {
            // A dropped sender (device gone) also ends the wait.
            let _ = receiver.await;
        }
    }

    /// RGBA of the top `rows` rows of the canvas texture drawn last
    /// (`4 * width` bytes a row), once the GPU has drawn them. Start it in
    /// the same task as [`CanvasRenderer::draw`], on a renderer made
    /// `readable`.
    pub fn read_top(&self, rows: u32) -> impl Future<Output = Result<Vec<u8>, Error>> + 'static {
        let started = self.start_read_top(rows);
        async move {
            let PendingReadback {
                buffer,
                mapped: receiver,
                width,
                rows,
                padded_row_bytes,
                bgra,
            } = started?;
            receiver
                .await
                .map_err(|_| Error::Readback("the map request was dropped".into()))?
                .map_err(|e| Error::Readback(e.to_string()))?;
            let mapped = buffer
                .get_mapped_range(..)
                .map_err(|e| Error::Readback(e.to_string()))?;
            let row_bytes = 4 * width as usize;
            let mut rgba = Vec::with_capacity(row_bytes * rows as usize);
            for row in mapped.chunks_exact(padded_row_bytes as usize) {
                for pixel in row[..row_bytes].chunks_exact(4) {
                    let (r, b) = if bgra {
                        (pixel[2], pixel[0])
                    } else {
                        (pixel[0], pixel[2])
                    };
                    rgba.extend_from_slice(&[r, pixel[1], b, pixel[3]]);
                }
            }
            drop(mapped);
            buffer.unmap();
            buffer.destroy();
            Ok(rgba)
        }
    }

    fn start_read_top(&self, rows: u32) -> Result<PendingReadback, Error> {
        self.check_device()?;
        let texture = self
            .drawn
            .as_ref()
            .ok_or_else(|| Error::Readback("nothing drawn in this task".into()))?;
        if !texture.usage().contains(wgpu::TextureUsages::COPY_SRC) {
            return Err(Error::Readback("the renderer was not made readable".into()));
        }
        let width = texture.width();
        let rows = rows.min(texture.height());
        if rows == 0 {
            return Err(Error::Readback("no rows asked for".into()));
        }
        let padded_row_bytes = (4 * width).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("asp-render readback"),
            size: u64::from(padded_row_bytes) * u64::from(rows),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("asp-render readback"),
            });
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded_row_bytes),
                    rows_per_image: Some(rows),
                },
            },
            wgpu::Extent3d {
                width,
                height: rows,
                depth_or_array_layers: 1,
            },
        );
        self.queue.submit([encoder.finish()]);
        let (sender, receiver) = futures_channel::oneshot::channel();
        buffer.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = sender.send(result);
        });
        let bgra = matches!(
            texture.format(),
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        Ok(PendingReadback {
            buffer,
            mapped: receiver,
            width,
            rows,
            padded_row_bytes,
            bgra,
        })
    }

    /// Gives the canvas and the device back now (the renderer cannot draw
    /// after).
    pub fn release(&mut self) {
        self.drawn = None;
        self.device.destroy();
    }
}
