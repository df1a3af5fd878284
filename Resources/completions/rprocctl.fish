function __rprocctl_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rprocctl_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __rprocctl_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rprocctl_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __rprocctl_parse_tokens -S
    set -l unparsed_tokens (__rprocctl_tokens -pc)
    switch $unparsed_tokens[1]
    case 'rprocctl'
        __rprocctl_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'list'
            __rprocctl_parse_subcommand 0 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'status'
            __rprocctl_parse_subcommand -r 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'n/lines=' 'version' 'h/help'
        case 'start'
            __rprocctl_parse_subcommand -r 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'no-block' 'firmware=' 'version' 'h/help'
        case 'stop'
            __rprocctl_parse_subcommand -r 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'no-block' 'version' 'h/help'
        case 'restart'
            __rprocctl_parse_subcommand -r 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'no-block' 'firmware=' 'version' 'h/help'
        case 'detach'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'no-block' 'version' 'h/help'
        case 'attach'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'no-block' 'version' 'h/help'
        case 'recover'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'no-block' 'version' 'h/help'
        case 'set-firmware'
            __rprocctl_parse_subcommand 2 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'reset-failed'
            __rprocctl_parse_subcommand -r 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'wait-ready'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'timeout=' 'version' 'h/help'
        case 'channels'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'update'
            __rprocctl_parse_subcommand 2 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'list' 'version' 'h/help'
        case 'rollback'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'show'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'p/property=+' 'value' 'version' 'h/help'
        case 'is-running'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'monitor'
            __rprocctl_parse_subcommand 0 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
        case 'coredump'
            __rprocctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
            case 'info'
                __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'version' 'h/help'
            case 'dump'
                __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'o/output=' 'version' 'h/help'
            end
        case 'logs'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'socket=' 'system' 'n/lines=' 'f/follow' 'version' 'h/help'
        case 'inspect'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'version' 'h/help'
        case 'validate'
            __rprocctl_parse_subcommand 1 'json=' 'no-legend' 'q/quiet' 'no-pager' 'memory=+' 'kernel=' 'version' 'h/help'
        case 'help'
            __rprocctl_parse_subcommand -r 1 'version'
        end
    end
end

function __rprocctl_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __rprocctl_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __rprocctl_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __rprocctl_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__rprocctl_tokens -p)
    if test -z "$(__rprocctl_tokens -t)"
        set -l index (count (__rprocctl_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'rprocctl' -f
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'list' -d 'List the remote processors and their kernel state (the default command).'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'status' -d 'Show the state, job, firmware, counters and last error of processors.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'start' -d 'Boot offline processors, or attach detached ones.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'stop' -d 'Stop running, attached or crashed processors.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'restart' -d 'Stop processors, then boot them again.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'detach' -d 'Detach from an attached processor, leaving its firmware running.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'attach' -d 'Attach to a detached processor\'s running firmware.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'recover' -d 'Recover a crashed processor through the kernel\'s recovery.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'set-firmware' -d 'Set the firmware an offline processor boots next.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'reset-failed' -d 'Leave the \'failed\' job state and forget the start-limit history.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'wait-ready' -d 'Wait until a processor is ready: running, with every ReadyOn= channel announced.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'channels' -d 'List the rpmsg channels a processor\'s remote announced.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'update' -d 'Install a new firmware image; keep it only if it comes up.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'rollback' -d 'Boot the previous staged firmware image again.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'show' -d 'Show the properties of a processor as Key=Value lines.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'is-running' -d 'Print the kernel state of a processor; exit 0 when it is running.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'monitor' -d 'Print state changes, crashes, recoveries, hotplug and jobs as they happen, until Ctrl-C.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'coredump' -d 'List, describe and extract the coredumps rprocd kept of crashed processors.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'logs' -d 'Show the log the remote processor writes into its trace buffer.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'inspect' -d 'Show the ELF header, segments, sections and resource table of a firmware file.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'validate' -d 'Check whether the kernel would boot a firmware file, and list what is wrong.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" lines n' -s 'n' -l 'lines' -d 'How many log lines to show.' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl status" -ge 1' -fka '(__rprocctl_custom_completion ---completion status -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" no-block' -l 'no-block' -d 'Return once the job is queued, without waiting for it to finish.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" firmware' -l 'firmware' -d 'Boot this firmware (a name in the kernel\'s firmware search path) instead of the one set.' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl start" -ge 1' -fka '(__rprocctl_custom_completion ---completion start -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl start" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" no-block' -l 'no-block' -d 'Return once the job is queued, without waiting for it to finish.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl stop" -ge 1' -fka '(__rprocctl_custom_completion ---completion stop -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl stop" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" no-block' -l 'no-block' -d 'Return once the job is queued, without waiting for it to finish.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" firmware' -l 'firmware' -d 'Boot this firmware (a name in the kernel\'s firmware search path) instead of the one set.' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl restart" -ge 1' -fka '(__rprocctl_custom_completion ---completion restart -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl restart" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" no-block' -l 'no-block' -d 'Return once the job is queued, without waiting for it to finish.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl detach" -eq 1' -fka '(__rprocctl_custom_completion ---completion detach -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl detach" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" no-block' -l 'no-block' -d 'Return once the job is queued, without waiting for it to finish.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl attach" -eq 1' -fka '(__rprocctl_custom_completion ---completion attach -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl attach" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" no-block' -l 'no-block' -d 'Return once the job is queued, without waiting for it to finish.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl recover" -eq 1' -fka '(__rprocctl_custom_completion ---completion recover -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl recover" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl set-firmware" -eq 1' -fka '(__rprocctl_custom_completion ---completion set-firmware -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl set-firmware" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl reset-failed" -ge 1' -fka '(__rprocctl_custom_completion ---completion reset-failed -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl reset-failed" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" timeout' -l 'timeout' -d 'Give up after this long (systemd time span: 500ms, 5s, 2min; a bare number is seconds; default infinity).' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl wait-ready" -eq 1' -fka '(__rprocctl_custom_completion ---completion wait-ready -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl wait-ready" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl channels" -eq 1' -fka '(__rprocctl_custom_completion ---completion channels -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl channels" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" list' -l 'list' -d 'List the staged firmware images of the processor instead of updating.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl update" -eq 1' -fka '(__rprocctl_custom_completion ---completion update -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl update" -eq 2' -F
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl update" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl rollback" -eq 1' -fka '(__rprocctl_custom_completion ---completion rollback -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl rollback" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show"' -s 'p' -l 'property' -d 'Show only this property; may be repeated or comma-separated (-p State,Job).' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" value' -l 'value' -d 'Print only the values, without \'Name=\'.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl show" -eq 1' -fka '(__rprocctl_custom_completion ---completion show -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl is-running" -eq 1' -fka '(__rprocctl_custom_completion ---completion is-running -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl is-running" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl monitor" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl coredump" -eq 1' -fa 'list' -d 'List the kept coredumps, oldest first.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl coredump" -eq 1' -fa 'info' -d 'Show what rprocd recorded about one coredump.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl coredump" -eq 1' -fa 'dump' -d 'Write one coredump (an ELF core file) to a file.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl coredump list" -eq 1' -fka '(__rprocctl_custom_completion ---completion coredump list -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump info" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" o output' -s 'o' -l 'output' -d 'Where to write it (\'-\': standard output).' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl coredump dump" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" socket' -l 'socket' -d 'rprocd\'s private control socket (default: $RPROCD_SOCKET, else /run/rprocd/control).' -rF
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" system' -l 'system' -d 'Talk to rprocd over the system bus (org.daybreak.RemoteProc1) instead of its socket.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_positional "rprocctl logs" -eq 1' -fka '(__rprocctl_custom_completion ---completion logs -- positional@0 (count (__rprocctl_tokens -pc)) (__rprocctl_tokens -tC))'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" lines n' -s 'n' -l 'lines' -d 'How many of the last lines to show (0: all kept).' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" f follow' -s 'f' -l 'follow' -d 'Keep printing new lines as the remote writes them, until interrupted.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl logs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl inspect" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl inspect" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl inspect" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl inspect" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl inspect" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl inspect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" json' -l 'json' -d 'Print JSON instead of tables: short, pretty or off (\'help\' lists them). --json without a mode is pretty on a terminal and short otherwise.' -rfka 'off short pretty help'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" no-legend' -l 'no-legend' -d 'Print tables without their header and the closing count line.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on standard output; only the exit code tells the result.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" no-pager' -l 'no-pager' -d 'Accepted for systemctl compatibility; rprocctl never starts a pager.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate"' -l 'memory' -d 'The processor\'s memory windows, as device address and length: DA:LEN[,DA:LEN…]. Numbers are decimal or 0x hexadecimal; LEN may end in K, M or G. May be repeated. Segments and resources outside every window are reported.' -rfka ''
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" kernel' -l 'kernel' -d 'Which kernels decide the result.' -rfka '6.1 6.12 all'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" version' -l 'version' -d 'Show the version.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rprocctl' -n '__rprocctl_should_offer_completions_for_flags_or_options "rprocctl help" version' -l 'version' -d 'Show the version.'
