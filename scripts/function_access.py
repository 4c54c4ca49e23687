"""What each Lambda function's code can reach, derived from its imports (least privilege per function).

`infra/function_access.json` is the reviewed policy: per function (the SAM logical id Chalice gives it),
the tables, queues it publishes to, secrets, images bucket, user pool and mail identity it may use. The
packager grants exactly that to the function's own role, and refuses to build when the code disagrees:
`derive_access` walks the imports reachable from the function's handler and names every resource those
modules touch, so a function whose code reaches a table its entry does not list (or whose entry lists one
its code never reaches) fails `make package` and tests/component/test_packaging.py.

The walk is per module, not per call: a module reached counts with everything it imports, lazily inside
functions too (`from chalicelib.store.orders import ...` in a function body is a use). That errs towards
granting (a module reached for one helper brings its other tables); it never misses a table reached through
a static import. Dynamic imports (`importlib`) are not followed, except the blueprint registry of app.py
and the `BLUEPRINTS` literal of a route function's entry module (chalicelib/entries).

How a module shows it uses a resource (the conventions of chalicelib, checked on the real code):
- a table: a PynamoDB model's `short_name = "<name>"`, or `table_name("<name>")` (a name read from the settings);
- a queue it publishes to: a `Settings` queue URL attribute (`.payment_events_queue_url`, ...);
- the images bucket: `.images_bucket`; the user pool: a `"cognito-idp"` client; mail: an `"ses"` client;
- Cognito actions: per *function* of chalicelib/auth/cognito.py the function's code names (`cognito.find_by_sub`),
  the operations it calls on its client, transitively (so the notifications consumer may only ListUsers);
- a secret: `_secret(env, "<NAME>")` (chalicelib/settings.py reads every secret of the stage's settings).
A queue a function consumes comes from its SQS event (Chalice), not from this map.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCESS_FILE = ROOT / "infra" / "function_access.json"
KINDS = ("tables", "publishes", "secrets", "images", "users", "user_actions", "mail")
COGNITO_MODULE = "chalicelib.auth.cognito"
# Cognito operations a client calls without credentials (no IAM): everything else the code calls needs a grant.
PUBLIC_COGNITO_OPERATIONS = {"SignUp", "ConfirmSignUp", "ResendConfirmationCode", "InitiateAuth"}

_TABLE_NAME = re.compile(r'short_name = "([^"]+)"|table_name\("([^"]+)"\)')
_SETTING = re.compile(r"\.(\w+_queue_url|images_bucket)\b")
_SECRET = re.compile(r'_secret\(env, "([A-Z_]+)"\)')
_SETTING_VARIABLE = re.compile(r'(\w+)=env\["([A-Z_]+)"\]')


@dataclass
class Access:
    """Logical ids (template resources) a function uses, per kind; images/users/mail are bucket/pool/identity ids."""

    tables: set[str] = field(default_factory=set)
    publishes: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    images: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    user_actions: set[str] = field(default_factory=set)  # "cognito-idp:<Operation>" on `users`
    mail: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, list[str]]:
        return {kind: sorted(getattr(self, kind)) for kind in KINDS}

    @classmethod
    def from_json(cls, data: dict) -> Access:
        unknown = set(data) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kind(s) {sorted(unknown)} (expected {KINDS})")
        return cls(**{kind: set(data.get(kind, [])) for kind in KINDS})


def declared_access(path: Path = ACCESS_FILE) -> dict[str, Access]:
    data = json.loads(path.read_text())
    return {fn: Access.from_json(entry) for fn, entry in data["functions"].items()}


# ---------------------------------------------------------------- the import walk


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported(nodes, module: str) -> set[str]:
    """The project modules (chalicelib.*) named by the import statements among `nodes`, with their packages."""
    is_package = (_module_file(module) or Path()).name == "__init__.py"
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts[: len(parts) - node.level + (1 if is_package else 0)]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}  # `from pkg import module`
    found = set()
    for name in names:
        if not name.startswith("chalicelib"):
            continue
        while name and _module_file(name) is None:
            name = name.rpartition(".")[0]
        parts = name.split(".")
        found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return found


def _all_imports(module: str) -> set[str]:
    return _imported(ast.walk(ast.parse(_module_file(module).read_text())), module)


def handler_entry_modules(handler: str) -> set[str]:
    """Modules a function's handler (`module.function` as in the SAM template) loads and calls into."""
    module, _, function = handler.rpartition(".")
    if handler == "app.app":  # the API function: app.py registers every blueprint by name (importlib)
        from chalicelib.handlers import BLUEPRINTS

        return {"chalicelib.handlers"} | {f"chalicelib.handlers.{name}" for name in BLUEPRINTS}
    tree = ast.parse(_module_file(module).read_text())
    served = _served_blueprints(tree)
    if served is not None and function == "app":  # a route function (chalicelib/entries): its blueprints by name
        return _imported(ast.walk(tree), module) | {f"chalicelib.handlers.{name}" for name in served} | {module}
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    bodies = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function]
    if not bodies:
        raise ValueError(f"{handler}: no function {function!r} in {module}")
    # The module's own imports run when Lambda loads it; of its functions only the handler runs.
    return _imported(top_level, module) | _imported(ast.walk(bodies[0]), module) | {module}


def _served_blueprints(tree: ast.Module) -> tuple[str, ...] | None:
    """The module-level `BLUEPRINTS = (...)` literal of an entry module (chalicelib/entries), if it has one."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["BLUEPRINTS"]:
            return tuple(ast.literal_eval(node.value))
    return None


def served_blueprints(module: str) -> tuple[str, ...] | None:
    """The blueprints (chalicelib.handlers.BLUEPRINTS names) an entry module serves, read without importing it."""
    return _served_blueprints(ast.parse(_module_file(module).read_text()))


def reachable_modules(handler: str) -> set[str]:
    entry = handler_entry_modules(handler)
    module, _, function = handler.rpartition(".")
    seen: set[str] = set()
    todo = sorted(entry)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name == module and handler != "app.app":
            continue  # its imports are in `entry` already (only the handler's own, not its sibling routes')
        todo += sorted(_all_imports(name) - seen)
    return seen


# ---------------------------------------------------------------- modules -> template resources


def _template_maps(infra: dict) -> dict[str, dict[str, str]]:
    """How code names map to logical ids, read from the template itself (nothing to keep in step by hand)."""
    resources = infra["Resources"]
    meta = infra.get("Metadata", {})
    tables = {}
    for logical, res in resources.items():
        if res["Type"] == "AWS::DynamoDB::Table":
            name = res["Properties"]["TableName"]
            name = name.get("Fn::Sub", name) if isinstance(name, dict) else name
            tables[name.split("}-", 1)[-1]] = logical  # "${AWS::StackName}-orders" -> "orders"
    variables = {var: value["Ref"] for var, value in meta.get("Halles::Environment", {}).items()
                 if isinstance(value, dict) and "Ref" in value}
    settings_source = (ROOT / "chalicelib" / "settings.py").read_text()
    attributes = {attr: variables[var] for attr, var in _SETTING_VARIABLE.findall(settings_source) if var in variables}
    return {"tables": tables, "settings": attributes, "secrets": dict(meta.get("Halles::Secrets", {}))}


def _only(resources: dict, kind: str) -> set[str]:
    return {logical for logical, res in resources.items() if res["Type"] == kind}


def derive_access(handler: str, infra: dict) -> Access:
    maps = _template_maps(infra)
    resources = infra["Resources"]
    access = Access()
    for module in reachable_modules(handler):
        path = _module_file(module)
        source = path.read_text()
        for short, named in _TABLE_NAME.findall(source):
            table = short or named
            if table not in maps["tables"]:
                raise ValueError(f"{module} uses table {table!r}, which infra/template.json does not define")
            access.tables.add(maps["tables"][table])
        if module != "chalicelib.settings":
            for attribute in _SETTING.findall(source):
                logical = maps["settings"].get(attribute)
                if logical is None:
                    raise ValueError(f"{module} reads settings.{attribute}, which no template resource provides")
                kind = resources[logical]["Type"]
                (access.publishes if kind == "AWS::SQS::Queue" else access.images).add(logical)
        for secret in _SECRET.findall(source):
            if secret not in maps["secrets"]:
                raise ValueError(f"{module} reads secret {secret}, missing from Halles::Secrets")
            access.secrets.add(secret)
        if '"cognito-idp"' in source:
            access.users |= _only(resources, "AWS::Cognito::UserPool")
        if re.search(r'client\(\s*"ses"', source):
            access.mail |= _only(resources, "AWS::SES::EmailIdentity")
    if access.users:
        access.user_actions = cognito_actions(reachable_modules(handler))
        if not access.user_actions:  # only public calls (sign-up, sign-in): nothing to grant
            access.users = set()
    return access


def _cognito_operations() -> dict[str, str]:
    """snake_case client method -> Cognito operation name, from botocore's service model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    return {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): name for name in model.operation_names}


def cognito_actions(modules: set[str]) -> set[str]:
    """The IAM actions of the Cognito calls the functions of chalicelib/auth/cognito.py named by `modules` make."""
    tree = ast.parse(_module_file(COGNITO_MODULE).read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    used: set[str] = set()
    for module in modules - {COGNITO_MODULE}:
        module_tree = ast.parse(_module_file(module).read_text())
        for node in ast.walk(module_tree):
            if isinstance(node, ast.ImportFrom) and node.module == COGNITO_MODULE:
                used |= {alias.name for alias in node.names}
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "cognito":
                used.add(node.attr)
    operations = _cognito_operations()
    actions: set[str] = set()
    seen: set[str] = set()
    todo = sorted(used & set(functions))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                operation = operations.get(node.func.attr)
                if operation and operation not in PUBLIC_COGNITO_OPERATIONS:
                    actions.add(f"cognito-idp:{operation}")
            elif isinstance(node, ast.Name) and node.id in functions:
                todo.append(node.id)
    return actions


def differences(declared: Access, derived: Access) -> list[str]:
    """Human-readable mismatches: what the code uses without a grant, and what is granted but never used."""
    problems = []
    for kind in KINDS:
        missing = getattr(derived, kind) - getattr(declared, kind)
        unused = getattr(declared, kind) - getattr(derived, kind)
        if missing:
            problems.append(f"its code uses {kind} {sorted(missing)} that its entry does not grant")
        if unused:
            problems.append(f"its entry grants {kind} {sorted(unused)} that its code never uses")
    return problems


def main() -> None:
    """Print the derived map for every function of a packaged template (to update infra/function_access.json)."""
    import sys

    sam = json.loads(Path(sys.argv[1]).read_text())
    infra = json.loads((ROOT / "infra" / "template.json").read_text())
    functions = {name: res["Properties"]["Handler"] for name, res in sam["Resources"].items()
                 if res["Type"] == "AWS::Serverless::Function"}
    print(json.dumps({name: derive_access(handler, infra).as_json() for name, handler in sorted(functions.items())},
                     indent=2))


if __name__ == "__main__":
    main()
