//! The window: a winit window with a wgpu surface, asp-render drawing each
//! picture the decode thread hands over, the stats in the title, and
//! ffplay's keys (space pause, f fullscreen, q or Esc quit).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use asp_core::Stats;
use asp_render::{wgpu, Planes, Renderer};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::ActiveEventLoop;
use winit::keyboard::{Key, NamedKey};
use winit::window::{Fullscreen, Window, WindowId};

use crate::decode::{Controls, Mailbox, Wake};
use crate::stats::{latency, now_unix_us, DrawStats};

/// The window's GPU side, made once the window exists.
struct Gpu {
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
}

impl Gpu {
    fn new(window: Arc<Window>) -> anyhow::Result<Gpu> {
        let instance = asp_render::instance();
        let surface = instance.create_surface(Arc::clone(&window))?;
        let options = wgpu::RequestAdapterOptions {
            compatible_surface: Some(&surface),
            ..Default::default()
        };
        let adapter = asp_render::block_on(instance.request_adapter(&options))?;
        let (device, queue) = asp_render::device(&adapter)?;
        let caps = surface.get_capabilities(&adapter);
        // The shader writes R'G'B' as coded: a linear (non-sRGB) format
        // shows it as is.
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .ok_or_else(|| {
                anyhow::anyhow!("the surface offers only sRGB formats: {:?}", caps.formats)
            })?;
        // Mailbox shows the newest picture at the next refresh without
        // tearing or queueing; FIFO (always there) otherwise.
        let present_mode = if caps.present_modes.contains(&wgpu::PresentMode::Mailbox) {
            wgpu::PresentMode::Mailbox
        } else {
            wgpu::PresentMode::Fifo
        };
        let size = window.inner_size();
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            width: size.width.max(1),
            height: size.height.max(1),
            present_mode,
            desired_maximum_frame_latency: 1,
            alpha_mode: caps
                .alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto),
            view_formats: vec![],
            color_space: Default::default(),
        };
        surface.configure(&device, &config);
        let renderer = Renderer::new(&device, &queue, format)?;
        Ok(Gpu {
            surface,
            device,
            queue,
            config,
            renderer,
        })
    }

    fn resize(&mut self, size: PhysicalSize<u32>) {
        if size.width > 0 && size.height > 0 {
            self.config.width = size.width;
            self.config.height = size.height;
            self.surface.configure(&self.device, &self.config);
        }
    }

    /// Draws the uploaded picture; false when the surface had no texture
    /// to give (occluded, being resized): the next picture tries again.
    fn draw(&mut self) -> bool {
        let texture = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&self.device, &self.config);
                return false;
            }
            _ => return false,
        };
        let view = texture
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("asp-play"),
            });
        self.renderer
            .draw(&mut encoder, &view, self.config.width, self.config.height);
        self.queue.submit([encoder.finish()]);
        self.queue.present(texture);
        true
    }
}

/// How the run ended, for the exit code and the summary line.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The decoder's counters at the end of the input (None: quit first).
    pub stats: Option<Stats>,
    /// Pictures drawn.
    pub drawn: u64,
    /// What went wrong, if anything did.
    pub error: Option<String>,
}

/// The viewer.
pub struct App {
    name: String,
    transport: &'static str,
    exit_at_end: bool,
    start_fullscreen: bool,
    mailbox: Arc<Mailbox>,
    controls: Controls,
    window: Option<Arc<Window>>,
    gpu: Option<Gpu>,
    stats: DrawStats,
    ended: bool,
    /// The size the window was last fitted to (the first picture's).
    fitted: Option<(u32, u32)>,
    pub outcome: Outcome,
}

impl App {
    pub fn new(
        name: String,
        transport: &'static str,
        exit_at_end: bool,
        start_fullscreen: bool,
        mailbox: Arc<Mailbox>,
        controls: Controls,
    ) -> App {
        App {
            name,
            transport,
            exit_at_end,
            start_fullscreen,
            mailbox,
            controls,
            window: None,
            gpu: None,
            stats: DrawStats::new(Instant::now()),
            ended: false,
            fitted: None,
            outcome: Outcome::default(),
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: String) {
        self.outcome.error.get_or_insert(error);
        self.quit(event_loop);
    }

    fn quit(&mut self, event_loop: &ActiveEventLoop) {
        self.outcome.drawn = self.stats.drawn;
        self.controls.quit.store(true, Ordering::Relaxed);
        event_loop.exit();
    }

    fn update_title(&self) {
        if let (Some(window), Some(gpu)) = (&self.window, &self.gpu) {
            let paused = self.controls.paused.load(Ordering::Relaxed);
            let state = if paused {
                "paused"
            } else if self.ended {
                "ended"
            } else {
                ""
            };
            window.set_title(&self.stats.title(
                &self.name,
                self.transport,
                gpu.renderer.picture_size(),
                state,
            ));
        }
    }

    /// Uploads the mailbox's picture (unless paused) and draws it.
    fn show_latest(&mut self) {
        if self.controls.paused.load(Ordering::Relaxed) {
            return;
        }
        let (Some(gpu), Some(window)) = (&mut self.gpu, &self.window) else {
            return;
        };
        let Some(shown) = self.mailbox.take() else {
            return;
        };
        if let Err(e) = gpu
            .renderer
            .upload(&Planes::of_frame(&shown.frame), shown.rows)
        {
            self.outcome.error.get_or_insert(e.to_string());
            return;
        }
        let size = (shown.frame.width() as u32, shown.frame.height() as u32);
        if self.fitted != Some(size) && window.fullscreen().is_none() {
            // As ffplay: the window takes the picture's size (once per size).
            let _ = window.request_inner_size(PhysicalSize::new(size.0, size.1));
            self.fitted = Some(size);
        }
        if gpu.draw() {
            let latency = latency(shown.meta.capture_time_us, now_unix_us());
            if self.stats.on_draw(Instant::now(), latency) {
                self.update_title();
            }
        }
    }
}

impl ApplicationHandler<Wake> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.is_some() {
            return;
        }
        let attributes = Window::default_attributes()
            .with_title(format!("{} - asp-play", self.name))
            .with_inner_size(PhysicalSize::new(640, 360));
        let window = match event_loop.create_window(attributes) {
            Ok(w) => Arc::new(w),
            Err(e) => return self.fail(event_loop, format!("cannot open a window: {e}")),
        };
        if self.start_fullscreen {
            window.set_fullscreen(Some(Fullscreen::Borderless(None)));
        }
        match Gpu::new(Arc::clone(&window)) {
            Ok(gpu) => self.gpu = Some(gpu),
            Err(e) => return self.fail(event_loop, format!("cannot draw in the window: {e}")),
        }
        self.window = Some(window);
        self.show_latest();
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: Wake) {
        match event {
            Wake::Picture => self.show_latest(),
            Wake::Ended { stats, error } => {
                self.show_latest();
                self.ended = true;
                self.outcome.stats = Some(stats);
                if let Some(e) = error {
                    self.outcome.error.get_or_insert(e);
                }
                self.update_title();
                if self.exit_at_end || self.outcome.error.is_some() {
                    self.quit(event_loop);
                }
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => self.quit(event_loop),
            WindowEvent::Resized(size) => {
                if let Some(gpu) = &mut self.gpu {
                    gpu.resize(size);
                }
                if let Some(window) = &self.window {
                    window.request_redraw();
                }
            }
            WindowEvent::RedrawRequested => {
                if let Some(gpu) = &mut self.gpu {
                    gpu.draw();
                }
            }
            WindowEvent::KeyboardInput { event, .. }
                if event.state == ElementState::Pressed && !event.repeat =>
            {
                match event.logical_key.as_ref() {
                    Key::Named(NamedKey::Escape) | Key::Character("q") => self.quit(event_loop),
                    Key::Named(NamedKey::Space) | Key::Character("p") => {
                        self.controls.paused.fetch_xor(true, Ordering::Relaxed);
                        self.update_title();
                        self.show_latest();
                    }
                    Key::Character("f") => {
                        if let Some(window) = &self.window {
                            let fullscreen = window.fullscreen().is_some();
                            window.set_fullscreen(
                                (!fullscreen).then_some(Fullscreen::Borderless(None)),
                            );
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}
