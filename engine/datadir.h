/* datadir: where the files installed with assure live -- the standard rule
 * library (rules/), the standard model (mappings/standard/), the example
 * map (mappings/met-2021-22/) and its exports (fixtures/met-2021-22/) --
 * and the "assure:" names that reach them: "assure:rules" in --rules,
 * "assure:mappings/standard/datasets.yaml" in a map's include. The data
 * directory is, in order: $ASSURE_DATADIR when set (not checked: a wrong
 * one shows as missing files under it); PREFIX/share/assure when the
 * binary runs as PREFIX/bin/assure (found through /proc/self/exe, so a
 * moved prefix still works); the source tree when the binary runs from a
 * build directory inside it (BUILD/assure, with rules/ and
 * mappings/standard/ beside BUILD); where /proc is not mounted, the
 * share/assure of the prefix it was built for (ASSURE_INSTALL_DATADIR,
 * set by the build) when that exists. Looked up once per process. Uses
 * util. */
#ifndef ASSURE_DATADIR_H
#define ASSURE_DATADIR_H

#define ASR_DATADIR_PREFIX "assure:"

/* The data directory, or NULL when none is found. */
const char *asr_datadir(void);

/* Whether name is an "assure:" name. */
int asr_datadir_name(const char *name);

/* The path an "assure:" name stands for (the data directory, '/', the rest
 * of the name), to free; NULL when there is no data directory. */
char *asr_datadir_resolve(const char *name);

/* Where the data directory came from, for --version: "ASSURE_DATADIR",
 * "installed", "source tree", "built-in" or "none". */
const char *asr_datadir_origin(void);

#endif
