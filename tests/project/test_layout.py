"""The layout's one rule: dependencies point down. The site-wide rooms import no feature app, membership imports
nothing from news, and no two top-level packages import each other, even through others or inside a function."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
ROOMS = ["site_shell", "staff_security", "caching", "operations", "uploads", "background"]
FEATURE_APPS = ["news", "membership", "subscriptions"]
PACKAGES = [*ROOMS, *FEATURE_APPS, "ietp_site"]


def imported_packages(package):
    """{top-level package imported: [module importing it, ...]} for every module of `package`, wherever the import
    stands (at the top or inside a function)."""
    imported = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        module = path.relative_to(ROOT).with_suffix("")
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue  # a relative import stays inside its package
            for name in names:
                imported.setdefault(name.split(".")[0], []).append(str(module))
    return imported


def test_no_site_wide_room_imports_a_feature_app():
    for room in ROOMS:
        imports = imported_packages(room)
        for app in FEATURE_APPS:
            assert app not in imports, f"{room} imports {app} in {imports.get(app)}: register through caching.registry"


def test_membership_imports_nothing_from_news():
    imports = imported_packages("membership")
    assert "news" not in imports, f"membership imports news in {imports['news']}: shared code belongs in uploads/"


def test_news_and_membership_import_nothing_from_subscriptions():
    # Subscriptions listen to the news (its post_save of a translation); the news never calls them.
    for app in ["news", "membership"]:
        imports = imported_packages(app)
        assert "subscriptions" not in imports, f"{app} imports subscriptions in {imports['subscriptions']}"


def test_no_import_circle_between_top_level_packages():
    graph = {
        package: {name for name in imported_packages(package) if name in PACKAGES and name != package}
        for package in PACKAGES
    }

    def circle_from(package, path):
        for imported in sorted(graph[package]):
            if imported in path:
                return [*path[path.index(imported) :], imported]
            if circle := circle_from(imported, [*path, imported]):
                return circle
        return None

    for package in PACKAGES:
        circle = circle_from(package, [package])
        assert circle is None, " -> ".join(circle)


def test_the_rule_is_checked_on_every_room():
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package
    assert not (ROOT / "base").exists(), "base/ was split into the rooms"
