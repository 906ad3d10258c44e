# shellcheck shell=bash
# tests/host/complete-lib.sh - drive a bash completion as bash would
# (sourced by test_completion.sh, test_install.sh, test_deb.sh).

# complete_line FILE LINE: what bash completes at the end of LINE with
# bash-completion and the completion FILE loaded: one word per line.  The
# words of LINE are split at blanks and at '=' (bash's COMP_WORDBREAKS);
# stderr is dropped (compopt complains outside a real completion).
complete_line() {
	bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion || exit 3
		. "$1" || exit 3
		line=$2
		read -ra COMP_WORDS <<< "${line//=/ = }"
		[[ $line == *" " || $line == *= ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line COMP_POINT=${#line}
		spec=$(complete -p "${COMP_WORDS[0]}") || exit 4
		fn=${spec#*-F }
		fn=${fn%% *}
		COMPREPLY=()
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}"
		((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}"
		exit 0
	' complete_line "$1" "$2" 2>/dev/null | LC_ALL=C sort -u
}

# have_bash_completion: bash-completion is there to load a completion.
have_bash_completion() {
	[[ -r /usr/share/bash-completion/bash_completion ]]
}
