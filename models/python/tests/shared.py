"""Locate the shared reference data: env MAGICLENS_SHARED, else <repo>/../shared."""
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def shared_dir() -> str:
    return os.path.abspath(os.environ.get('MAGICLENS_SHARED') or os.path.join(REPO, '..', 'shared'))


def reference_dir() -> str:
    return os.path.join(shared_dir(), 'reference', 'magiclens')


def have_reference() -> bool:
    return os.path.exists(os.path.join(reference_dir(), 'golden_tiny.json'))
