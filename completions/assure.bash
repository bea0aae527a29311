# bash completion for assure. The binary answers ('assure __complete WORD...'):
# verbs, each verb's options, --format values, gate names, the datasets of
# the --map given (import's DATASET=), the rule ids of the --rules given.
# Installed as share/bash-completion/completions/assure.

_assure() {
    local i w cur=${COMP_WORDS[COMP_CWORD]}
    # bash splits "actions=file" and "json:file" at = and :; join them again
    # so that assure sees the words as typed.
    local -a words=()
    for ((i = 1; i <= COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((${#words[@]} > 0)) && [[ $w == [=:] || ${COMP_WORDS[i - 1]} == [=:] ]] && ((i > 1)); then
            words[${#words[@]} - 1]+=$w
        else
            words+=("$w")
        fi
    done
    local word=${words[${#words[@]} - 1]}
    # What bash replaces is $cur: drop the part of the word before it.
    local strip=$((${#word} - ${#cur}))
    [[ $cur == [=:] ]] && strip=$((${#word} - 1))
    local line f pre nospace=0
    COMPREPLY=()
    while IFS= read -r line; do
        case $line in
        :files* | :dirs*)
            pre=${line#*$'\t'}
            [[ $line == "$pre" ]] && pre=
            local opt=-f
            [[ $line == :dirs* ]] && opt=-d
            while IFS= read -r f; do
                [[ -d $f ]] && f+=/ && nospace=1
                f=$pre$f
                COMPREPLY+=("${f:$strip}")
            done < <(compgen $opt -- "${word:${#pre}}")
            ;;
        *)
            [[ $line == *[=:] ]] && nospace=1
            COMPREPLY+=("${line:$strip}")
            ;;
        esac
    done < <("${COMP_WORDS[0]}" __complete "${words[@]}" 2>/dev/null)
    ((nospace)) && compopt -o nospace 2>/dev/null
    return 0
}
complete -F _assure assure
