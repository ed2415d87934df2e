/* schedule.h: which schedule a run takes (CLEANUP_SPLIT_SCHEDULE), a pure decision on the
 * configuration and the engine; the schedule itself is in sched.c (op.h). */
#ifndef DC_SCHEDULE_H
#define DC_SCHEDULE_H

#include <stdbool.h>

#include "api.h"
#include "config.h"

/* Does a run on this engine take the schedule per resource? mode is CLEANUP_SPLIT_SCHEDULE;
 * auto chooses by the engine, as measured (bench/README.md, "Schedule per resource"):
 * per resource on Docker, per type on Podman. */
bool dc_schedule_per_resource(dc_schedule_t mode, const dc_engine_t *engine);

#endif
