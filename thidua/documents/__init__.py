"""Documents the product writes: the sơ kết / tổng kết report, DOCX, XLSX annex."""
