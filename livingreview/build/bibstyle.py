"""Author-year citations that read "Maude et al." for an entry whose author list is one name
and "others".

BibTeX writes an incomplete author list as ``Maude, S. L. and others``. sphinxcontrib-bibtex's
author-year style joins the persons it finds, and with exactly two (the name and the ``others``
person) it prints "Maude and others"; "et al." is only used for three or more. Where only the
first author is verified (references.bib keeps no name it cannot source), the label must read
"Maude et al.". This style is sphinxcontrib-bibtex's ``author_year`` with that one change,
registered as ``author_year_etal`` (``bibtex_reference_style`` in ``_config.yml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sphinxcontrib.bibtex.plugin
from pybtex.richtext import Tag, Text
from pybtex.style.template import field as bib_field
from pybtex.style.template import first_of, node, optional, tag
from sphinxcontrib.bibtex.style.referencing import PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import join, names

NAME = "author_year_etal"
_ET_AL = Text(" ", Tag("em", "et al."))


def _is_others(person) -> bool:
    return str(person).strip().lower() == "others"


@node
def _names(children, data, role, **kwargs):
    persons = data["entry"].persons.get(role, [])
    if len(persons) < 2 or not _is_others(persons[-1]):
        return names(role=role, **kwargs).format_data(data)
    style = data["style"]
    shown = [style.person.style_plugin.format(p, style.person.abbreviate) for p in persons[:-1]]
    joined = join(**kwargs)[shown].format_data(data)
    # Three or more names are already shortened to "First et al." by the join itself.
    return joined if len(shown) > 2 and kwargs.get("other") is not None else Text(joined, _ET_AL)


@node
def _author_or_editor_or_title(children, data, **kwargs):
    # sphinxcontrib-bibtex's template of the same name, with the names node above.
    return first_of[
        optional[_names("author", **kwargs)],
        optional[_names("editor", **kwargs)],
        tag("em")[bib_field("title")],
    ].format_data(data)


@dataclass
class EtAlPersonStyle(PersonStyle):
    def names(self, role: str, full: bool):
        return _names(
            role=role,
            sep=self.sep,
            sep2=self.sep2,
            last_sep=self.last_sep,
            other=None if full else self.other,
        )

    def author_or_editor_or_title(self, full: bool):
        return _author_or_editor_or_title(
            sep=self.sep, sep2=self.sep2, last_sep=self.last_sep, other=None if full else self.other
        )


@dataclass
class AuthorYearEtAlReferenceStyle(AuthorYearReferenceStyle):
    person: PersonStyle = field(default_factory=EtAlPersonStyle)


def register() -> None:
    sphinxcontrib.bibtex.plugin.register_plugin(
        "sphinxcontrib.bibtex.style.referencing", NAME, AuthorYearEtAlReferenceStyle, force=True
    )
