// FFmpeg's libraries as Debian packages them (libav*-dev, libsw*-dev), plus inline functions for
// the macros Swift cannot import (function-like or compound-literal macros) and the log callback.
#ifndef DUET_CFFMPEG_SHIM_H
#define DUET_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/cpu.h>
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
#include <unistd.h>

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
