/*
 * log.h - the daemon's logging: one line per event on stderr (journald
 * keeps it), with a level; the library itself never prints.
 */
#ifndef LM_DAEMON_LOG_H
#define LM_DAEMON_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level max);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
