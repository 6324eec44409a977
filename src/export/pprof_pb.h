/* SPDX-License-Identifier: MIT */
/* The protobuf-c code generated from profile.proto at build time, under
 * short names: what pprof.c (the writer) and pprof_read.c (the reader)
 * share. Internal to the export module. */
#ifndef CTOP_EXPORT_PPROF_PB_H
#define CTOP_EXPORT_PPROF_PB_H

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_vtype;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

#endif
