"""Moving in and out with spreadsheets: one route per kind.

``POST /api/v1/imports/{kind}`` (multipart ``file``, CSV or XLSX; ``dry_run``) checks every row
with the services' rules and answers the counts, or ``422 import_rows_invalid`` with every
problem (row, column, code, message) in ``data.errors``; nothing is written unless the whole
file is clean, and then in one transaction. ``GET /api/v1/imports/{kind}/template`` and
``GET /api/v1/exports/{kind}?format=csv|xlsx`` answer files in the same columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cangku.api.deps import ContextDep, DbDep, permit
from cangku.api.openapi import PROBLEM_RESPONSE
from cangku.domain.imports import KINDS, ImportRejected
from cangku.routing import SegmentRouter
from cangku.services.imports import (
    EXPORT_VIEWS,
    MEDIA_TYPES,
    export_rows_of,
    import_action,
    import_file,
    template,
)

router = SegmentRouter(tags=["imports"])

Format = Literal["csv", "xlsx"]
Lang = Literal["en", "zh"]


class RowErrorOut(BaseModel):
    row: int = Field(description="row number in the file (1 = the header)")
    column: str = Field(description="the column's header as written in the file")
    code: str
    message: str


class ImportOut(BaseModel):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    posted: int = Field(description="moves posted (opening stock)")
    dry_run: bool
    errors: list[RowErrorOut] = Field(description="empty: a file with problems answers 422")


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {**PROBLEM_RESPONSE, "description": "`permission_denied`"},
    413: {**PROBLEM_RESPONSE, "description": "`request_too_large` (see CANGKU_MAX_UPLOAD_BYTES)"},
    422: {
        **PROBLEM_RESPONSE,
        "description": (
            "`import_rows_invalid` (every problem in `data.errors`: row, column, code, "
            "message; nothing written), or a problem of the file as a whole: "
            "`file_not_utf8`, `file_unreadable`, `import_empty_file`, `import_unknown_columns`, "
            "`import_missing_columns`, `import_duplicate_columns`"
        ),
    },
}
_FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {media: {} for media in MEDIA_TYPES.values()},
        "description": "the file",
    }
}


def _download(data: bytes, fmt: str, name: str) -> Response:
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


def _import_route(kind: str) -> Callable[..., Any]:
    def post_import(
        db: DbDep,
        ctx: ContextDep,
        file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
        dry_run: Annotated[bool, Query(description="check every row, write nothing")] = False,
    ) -> ImportOut:
        data = file.file.read()  # a sync route: FastAPI runs it in a worker thread
        summary = import_file(db, ctx, kind, data, dry_run=dry_run)
        if summary.errors:
            raise ImportRejected(kind, summary.errors, summary.rows)
        return ImportOut.model_validate(summary.as_dict())

    post_import.__name__ = f"import_{kind}"
    return post_import


def _template_route(kind: str) -> Callable[..., Any]:
    def get_template(format: Format = "xlsx", lang: Lang = "en") -> Response:
        return _download(template(kind, lang, format), format, f"{kind}-template")

    get_template.__name__ = f"template_{kind}"
    return get_template


def _export_route(kind: str) -> Callable[..., Any]:
    def get_export(
        db: DbDep, ctx: ContextDep, format: Format = "csv", lang: Lang = "en"
    ) -> Response:
        found = export_rows_of(db, ctx, kind, lang)
        return _download(found.file(format), format, kind)

    get_export.__name__ = f"export_{kind}"
    return get_export


for _kind in KINDS:
    router.post(
        f"/imports/{_kind}",
        response_model=ImportOut,
        summary=f"Import {_kind} from CSV or XLSX (dry_run: check only)",
        responses=IMPORT_RESPONSES,
        dependencies=[permit(import_action(_kind))],
    )(_import_route(_kind))
    router.get(
        f"/imports/{_kind}/template",
        summary=f"A {_kind} file to fill in (headers, a described sample row)",
        response_class=Response,
        responses=_FILE_RESPONSE,
        dependencies=[permit(import_action(_kind))],
    )(_template_route(_kind))
    router.get(
        f"/exports/{_kind}",
        summary=f"Every {_kind} row in the columns of its import",
        response_class=Response,
        responses={**_FILE_RESPONSE, 403: IMPORT_RESPONSES[403]},
        dependencies=[permit(EXPORT_VIEWS[_kind])],
    )(_export_route(_kind))
