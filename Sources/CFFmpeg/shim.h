// FFmpeg's libraries as Debian packages them (libav*-dev, libsw*-dev), plus inline functions for
// the macros Swift cannot import (function-like or compound-literal macros) and the log callback.
#ifndef DUET_CFFMPEG_SHIM_H
#define DUET_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
#include <libavutil/tx.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

// Zeroes every byte of a video frame's planes, the alignment padding at the end of each row
// included: av_frame_get_buffer and av_frame_make_writable leave that padding uninitialised (it is
// 32 bytes a row at 96 pixels where FFmpeg aligns rows to 64 for AVX-512), and x264's SIMD input
// copy reads it, which made encoded bytes differ from run to run on such processors.
static inline int duet_clear_video_frame(AVFrame *frame) {
    size_t sizes[4];
    ptrdiff_t linesizes[4];
    for (int i = 0; i < 4; i++) linesizes[i] = frame->linesize[i];
    int ret = av_image_fill_plane_sizes(sizes, (enum AVPixelFormat)frame->format, frame->height, linesizes);
    if (ret < 0) return ret;
    for (int i = 0; i < 4; i++) if (frame->data[i] && sizes[i]) memset(frame->data[i], 0, sizes[i]);
    return 0;
}

static inline int duet_averror(int posix_error) { return AVERROR(posix_error); }
static inline int duet_averror_eof(void) { return AVERROR_EOF; }
static inline int duet_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int duet_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t duet_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational duet_time_base_q(void) { return AV_TIME_BASE_Q; }

// AVFrame.duration replaced pkt_duration in libavutil 57.30 (FFmpeg 6.0); Debian 12 has 5.1.
static inline int64_t duet_frame_duration(const AVFrame *frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    return frame->duration;
#else
    return frame->pkt_duration;
#endif
}

// FFmpeg's log lines, each formatted on the stack and written to standard error in one write()
// so lines from decoding threads never interleave; filtered by FFmpeg's own level. (A Swift
// closure cannot be the callback: Swift cannot take a va_list through @convention(c).)
static void duet_log_to_stderr(void *context, int level, const char *format, va_list arguments) {
    if (level > av_log_get_level()) return;
    char line[1024] = "ffmpeg: ";
    int prefix = 1;
    int length = av_log_format_line2(context, level, format, arguments, line + 8, (int)sizeof(line) - 8, &prefix);
    if (length <= 0) return;
    if (length > (int)sizeof(line) - 9) length = (int)sizeof(line) - 9;
    ssize_t ignored = write(2, line, (size_t)(8 + length));
    (void)ignored;
}

static inline void duet_install_log_callback(void) { av_log_set_callback(duet_log_to_stderr); }

#endif
