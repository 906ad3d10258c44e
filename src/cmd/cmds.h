/* SPDX-License-Identifier: GPL-2.0 */
/* cmds.h - one entry point per subcommand of the pfnmap binary. */
#ifndef __PFNMAP_CMDS_H
#define __PFNMAP_CMDS_H

int cmd_probe(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif /* __PFNMAP_CMDS_H */
