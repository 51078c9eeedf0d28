"""Files and images (issue 12): names, type detection, image cleaning, bytes on disk or in the database."""
