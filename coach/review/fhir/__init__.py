"""A patient's record as HL7 FHIR R4, and back (docs/FHIR.md).

`patient_bundle(store, patient)` gives the Bundle: Patient, the program as a CarePlan, every
session as a Procedure with its Observations (repetitions, ranges per side with their joint,
holds, faults, hand-eye targets), the ratings and the clinical tests, each measure with its
method and measured accuracy, coded in LOINC where a checked code exists and in Coach's own
CodeSystems (published in the bundle) elsewhere. `validate` checks a bundle with the FHIR
models (fhir.resources); `import_bundle` makes a bundle a new patient of a therapist.

One module per kind of record, each mapping both ways: patient, program, sessions, targets,
ratings, protocols; terms (the codes), refs (the links), method (method and accuracy).
"""

from coach.review.fhir.bundle import BundleInvalid, patient_bundle, validate
from coach.review.fhir.load import FhirImportError, import_bundle

MEDIA_TYPE = "application/fhir+json"

__all__ = [
    "MEDIA_TYPE",
    "BundleInvalid",
    "FhirImportError",
    "import_bundle",
    "patient_bundle",
    "validate",
]
