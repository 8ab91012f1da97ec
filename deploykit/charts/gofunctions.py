"""The names a Go template of a Helm chart can call, for the did-you-mean of an unknown function or template.

Owns the list of Helm 4's template functions (Go's built-ins, Sprig's, and
Helm's own: include, tpl, required, toYaml, lookup, ...) and the names
templates define; wording.did_you_mean picks the closest to a mistyped one.
Must not: render or import helm_python (the names are data).
"""

from __future__ import annotations

import re
from typing import Iterable

FUNCTIONS = frozenset("""
and or not len index slice print printf println eq ne lt le gt ge call html js urlquery
trim trimAll trimPrefix trimSuffix upper lower title untitle repeat substr nospace trunc abbrev abbrevboth initials
randAlphaNum randAlpha randNumeric randAscii randInt wrap wrapWith contains hasPrefix hasSuffix quote squote cat
indent nindent replace plural snakecase camelcase kebabcase swapcase shuffle regexMatch mustRegexMatch regexFindAll
mustRegexFindAll regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll regexReplaceAllLiteral
mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta toString toStrings join splitList split splitn
sortAlpha atoi int int64 float64 toDecimal seq until untilStep add add1 sub div mod mul max min maxf minf floor ceil
round addf add1f subf divf mulf list tuple first mustFirst rest mustRest last mustLast initial mustInitial append
mustAppend push mustPush prepend mustPrepend concat reverse mustReverse uniq mustUniq without mustWithout has mustHas
compact mustCompact mustSlice chunk mustChunk dict get set unset hasKey pluck dig merge mustMerge mergeOverwrite
mustMergeOverwrite keys pick omit values deepCopy mustDeepCopy default empty coalesce all any fromJson mustFromJson
toJson mustToJson toPrettyJson mustToPrettyJson toRawJson mustToRawJson ternary b64enc b64dec b32enc b32dec sha1sum
sha256sum sha512sum adler32sum bcrypt htpasswd derivePassword genPrivateKey buildCustomCert genCA genCAWithKey
genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey encryptAES decryptAES uuidv4 now ago
date dateInZone duration durationRound unixEpoch dateModify mustDateModify htmlDate htmlDateInZone toDate mustToDate
typeOf typeIs typeIsLike kindOf kindIs deepEqual semver semverCompare urlParse urlJoin getHostByName base dir clean
ext isAbs osBase osClean osDir osExt osIsAbs env expandenv fail required include tpl toYaml toYamlPretty mustToYaml
fromYaml fromYamlArray toToml fromToml fromJsonArray lookup
""".split())

# A named template's definition in a template source: `{{ define "app.labels" }}`.
DEFINE = re.compile(r"\{\{-?\s*define\s+\"([^\"]+)\"")


def defined_templates(sources: Iterable[str]) -> set[str]:
    """The names `{{ define "..." }}` gives in these template sources."""
    return {name for text in sources for name in DEFINE.findall(text)}


# An action that can repeat without bound: a `range`, or a list made by `until`, `untilStep` or `seq`.
LOOP = re.compile(r"\{\{-?\s*range\b|\b(?:until|untilStep|seq)\s")


def looping(sources: Iterable[tuple[str, str]]) -> list[str]:
    """The names of the (name, text) template sources that hold a loop, in the order given."""
    return [name for name, text in sources if LOOP.search(text)]
