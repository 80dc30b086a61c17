//! A renderer with its own device and an offscreen RGBA target, read back
//! to memory: for tests without a display (Mesa's lavapipe) and for tools
//! that want the picture as the GPU draws it.

use std::sync::mpsc;

use crate::colour::ColourRows;
use crate::planes::Planes;
use crate::renderer::Renderer;
use crate::Error;

/// The offscreen target's format: 8-bit R, G, B, A, not sRGB (the shader's
/// output lands unchanged).
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// The wgpu instance of this crate's backends, with wgpu's environment
/// overrides (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`, ...).
pub fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// A device and queue on `adapter` with the limits this renderer needs
/// (WebGPU's downlevel defaults, with the adapter's own texture sizes).
pub fn device(adapter: &wgpu::Adapter) -> Result<(wgpu::Device, wgpu::Queue), Error> {
    let descriptor = wgpu::DeviceDescriptor {
        label: Some("asp-render"),
        required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
        ..Default::default()
    };
    pollster::block_on(adapter.request_device(&descriptor))
        .map_err(|e| Error::Device(e.to_string()))
}

/// A renderer drawing into a `width` x `height` RGBA texture.
pub struct Offscreen {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: wgpu::AdapterInfo,
    renderer: Renderer,
    target: wgpu::Texture,
    view: wgpu::TextureView,
}

impl Offscreen {
    /// An offscreen renderer on the first adapter wgpu offers (no surface
    /// needed). [`Error::NoAdapter`] when there is none.
    pub fn new(width: u32, height: u32) -> Result<Offscreen, Error> {
        let instance = instance();
        let options = wgpu::RequestAdapterOptions::default();
        let adapter = pollster::block_on(instance.request_adapter(&options))
            .map_err(|e| Error::NoAdapter(e.to_string()))?;
        let (device, queue) = device(&adapter)?;
        let max = device.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(Error::TargetSize {
                width,
                height,
                max_dimension: max,
            });
        }
        let renderer = Renderer::new(&device, &queue, OFFSCREEN_FORMAT)?;
        let target = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("asp-render offscreen"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: OFFSCREEN_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = target.create_view(&wgpu::TextureViewDescriptor::default());
        Ok(Offscreen {
            device,
            queue,
            adapter: adapter.get_info(),
            renderer,
            target,
            view,
        })
    }

    /// The adapter drawing (name, driver, backend).
    pub fn adapter(&self) -> &wgpu::AdapterInfo {
        &self.adapter
    }

    /// Target width and height.
    pub fn size(&self) -> (u32, u32) {
        (self.target.width(), self.target.height())
    }

    /// Draws `planes` with `rows` and returns the target as RGBA, row-major,
    /// `4 * width` bytes a row.
    pub fn render(&mut self, planes: &Planes<'_>, rows: ColourRows) -> Result<Vec<u8>, Error> {
        self.renderer.upload(planes, rows)?;
        let (width, height) = self.size();
        let row_bytes = 4 * width;
        let padded_row_bytes = row_bytes.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("asp-render readback"),
            size: u64::from(padded_row_bytes) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("asp-render"),
            });
        self.renderer.draw(&mut encoder, &self.view, width, height);
        encoder.copy_texture_to_buffer(
            self.target.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded_row_bytes),
                    rows_per_image: Some(height),
                },
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
        self.queue.submit([encoder.finish()]);
        let (sender, receiver) = mpsc::channel();
        readback.map_async(wgpu::MapMode::Read, .., move |result| {
            // The receiver waits below; it is gone only if this thread is.
            let _ = sender.send(result);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Readback(e.to_string()))?;
        receiver
            .recv()
            .map_err(|e| Error::Readback(e.to_string()))?
            .map_err(|e| Error::Readback(e.to_string()))?;
        let mapped = readback
            .get_mapped_range(..)
            .map_err(|e| Error::Readback(e.to_string()))?;
        let mut rgba = Vec::with_capacity(row_bytes as usize * height as usize);
        for row in mapped.chunks_exact(padded_row_bytes as usize) {
            rgba.extend_from_slice(&row[..row_bytes as usize]);
        }
        drop(mapped);
        readback.unmap();
        Ok(rgba)
    }
}
