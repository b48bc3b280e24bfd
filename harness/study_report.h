/*
 * study_report: the detection study's table on a terminal, and its files
 * (study.md, study.json, study.html with a logarithmic plot). See study.h;
 * it reads only study_model.h, what study.c produced.
 */
#ifndef ACKLAB_STUDY_REPORT_H
#define ACKLAB_STUDY_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "outdir.h"
#include "study_model.h"

/* The table, and every row that broke the study's lesson with why. */
void study_report_print(FILE *out, const struct study_result *r, size_t n, int every_ms);
/* study.md, study.html and study.json in dir. Returns 0 or -1 with err. */
int study_report_write(const struct outdir *dir, const struct study_result *r, size_t n, int every_ms,
		       char *err, size_t errlen);

#endif
