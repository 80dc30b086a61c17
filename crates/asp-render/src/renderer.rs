//! The renderer: three R8 textures (Y, Cb, Cr) written straight from the
//! planes, one uniform block (colour rows, letterbox scale), one draw of a
//! 4-vertex strip with the shared WGSL ([`WGSL`]). It draws into any
//! render target the caller gives (a window's surface texture, an
//! offscreen texture), cleared to black around the picture.

use asp_core::schema::{ColorMatrix, ColorRange};
use wgpu::util::DeviceExt;

use crate::colour::{fit_scale, ColourRows};
use crate::planes::Planes;
use crate::{Error, WGSL};

/// Bytes of the shader's `Params`: three vec4 rows, a vec2 scale, padded
/// to the struct's 16-byte alignment.
const PARAMS_BYTES: usize = 64;

/// The textures of one picture size, and the bind group that reads them.
struct PlaneTextures {
    size: (u32, u32),
    y: wgpu::Texture,
    u: wgpu::Texture,
    v: wgpu::Texture,
    bind_group: wgpu::BindGroup,
}

/// Draws YUV 4:2:0 pictures, letterboxed, into render targets of one
/// texture format.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    params: wgpu::Buffer,
    planes: Option<PlaneTextures>,
    rows: ColourRows,
}

impl Renderer {
    /// A renderer drawing into targets of `format`. The shader writes
    /// R'G'B' as the stream codes it (gamma-encoded), so `format` must not
    /// be an sRGB one (which would encode it a second time).
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
    ) -> Result<Renderer, Error> {
        if format.is_srgb() {
            return Err(Error::SrgbTarget(format));
        }
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("asp-render yuv.wgsl"),
            source: wgpu::ShaderSource::Wgsl(WGSL.into()),
        });
        let plane = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("asp-render planes"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(PARAMS_BYTES as u64),
                    },
                    count: None,
                },
                plane(1),
                plane(2),
                plane(3),
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("asp-render"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("asp-render yuv"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("asp-render bilinear"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("asp-render params"),
            contents: &[0; PARAMS_BYTES],
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        Ok(Renderer {
            device: device.clone(),
            queue: queue.clone(),
            pipeline,
            layout,
            sampler,
            params,
            planes: None,
            rows: ColourRows::new(ColorMatrix::Bt709, ColorRange::Limited),
        })
    }

    /// The size of the picture uploaded last, if any.
    pub fn picture_size(&self) -> Option<(u32, u32)> {
        self.planes.as_ref().map(|p| p.size)
    }

    /// Uploads `planes` (checked first: nothing is written when they are
    /// short or too large for this device) and the stream's colour rows;
    /// the next [`Renderer::draw`] shows them.
    pub fn upload(&mut self, planes: &Planes<'_>, rows: ColourRows) -> Result<(), Error> {
        planes.check(self.device.limits().max_texture_dimension_2d)?;
        let size = (planes.width, planes.height);
        if self.planes.as_ref().is_none_or(|p| p.size != size) {
            self.planes = Some(self.make_textures(size));
        }
        let Some(textures) = &self.planes else {
            unreachable!("made above")
        };
        let (cw, ch) = planes.chroma_size();
        for (texture, plane, stride, w, h) in [
            (
                &textures.y,
                planes.y,
                planes.y_stride,
                planes.width,
                planes.height,
            ),
            (&textures.u, planes.u, planes.uv_stride, cw, ch),
            (&textures.v, planes.v, planes.uv_stride, cw, ch),
        ] {
            // check() bounded the stride by u32 and the plane by its rows.
            let used = stride * (h as usize - 1) + w as usize;
            self.queue.write_texture(
                texture.as_image_copy(),
                &plane[..used],
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(stride as u32),
                    rows_per_image: Some(h),
                },
                wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
            );
        }
        self.rows = rows;
        Ok(())
    }

    fn make_textures(&self, (width, height): (u32, u32)) -> PlaneTextures {
        let make = |label, width, height| {
            self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::R8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let (y, u, v) = (
            make("asp-render Y", width, height),
            make("asp-render U", cw, ch),
            make("asp-render V", cw, ch),
        );
        let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
        let (yv, uv, vv) = (view(&y), view(&u), view(&v));
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("asp-render planes"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&yv),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&uv),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&vv),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        });
        PlaneTextures {
            size: (width, height),
            y,
            u,
            v,
            bind_group,
        }
    }

    /// Records the draw of the uploaded picture into `target` (a view of a
    /// `target_width` x `target_height` texture of the renderer's format),
    /// letterboxed on black; only black before any upload.
    pub fn draw(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        target_width: u32,
        target_height: u32,
    ) {
        if let Some(textures) = &self.planes {
            let (w, h) = textures.size;
            let mut params = [0f32; PARAMS_BYTES / 4];
            for (i, row) in self.rows.0.iter().enumerate() {
                params[4 * i..4 * i + 4].copy_from_slice(row);
            }
            params[12..14].copy_from_slice(&fit_scale(w, h, target_width, target_height));
            let bytes: Vec<u8> = params.iter().flat_map(|f| f.to_le_bytes()).collect();
            self.queue.write_buffer(&self.params, 0, &bytes);
        }
        let mut pass = black_pass(encoder, target, "asp-render");
        if let Some(textures) = &self.planes {
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &textures.bind_group, &[]);
            pass.draw(0..4, 0..1);
        }
    }
}

/// A render pass on `target` that starts by painting it black (the
/// letterbox bars; all of a cleared canvas).
pub(crate) fn black_pass<'a>(encoder: &'a mut wgpu::CommandEncoder, target: &wgpu::TextureView, label: &str) -> wgpu::RenderPass<'a> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: target,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}
