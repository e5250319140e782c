package org.jamesshaping;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * The direction of the extension's packages: runtime and scoring at the bottom, then the store, the shaping policy,
 * and the SMTP adapter, the only package that touches James's protocols and Netty, which only the Guice module
 * (the root package) names. The filters use the store and scoring; the admin package anything but the SMTP adapter.
 */
class ArchitectureTest {
    private static final JavaClasses EXTENSION = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("org.jamesshaping");

    @Test
    void packagesDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("Module").definedBy("org.jamesshaping")
            .layer("Runtime").definedBy("org.jamesshaping.runtime..")
            .layer("Scoring").definedBy("org.jamesshaping.scoring..")
            .layer("Store").definedBy("org.jamesshaping.store..")
            .layer("Shaping").definedBy("org.jamesshaping.shaping..")
            .layer("Smtp").definedBy("org.jamesshaping.smtp..")
            .layer("Filter").definedBy("org.jamesshaping.filter..")
            .layer("Admin").definedBy("org.jamesshaping.admin..")
            .whereLayer("Module").mayNotBeAccessedByAnyLayer()
            .whereLayer("Smtp").mayOnlyBeAccessedByLayers("Module")
            .whereLayer("Admin").mayOnlyBeAccessedByLayers("Module")
            .whereLayer("Filter").mayOnlyBeAccessedByLayers("Admin", "Module")
            .whereLayer("Shaping").mayOnlyBeAccessedByLayers("Smtp", "Admin", "Module")
            .whereLayer("Store").mayOnlyBeAccessedByLayers("Shaping", "Smtp", "Filter", "Admin", "Module")
            .whereLayer("Scoring").mayOnlyBeAccessedByLayers("Store", "Shaping", "Smtp", "Filter", "Admin", "Module")
            .whereLayer("Runtime").mayOnlyBeAccessedByLayers("Store", "Shaping", "Smtp", "Filter", "Admin", "Module")
            .check(EXTENSION);
    }

    @Test
    void onlyTheSmtpAdapterTouchesJamesProtocolsAndNetty() {
        noClasses().that().resideOutsideOfPackage("org.jamesshaping.smtp..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.james.protocols..", "io.netty..")
            .check(EXTENSION);
    }

    @Test
    void scoringIsPureAndTheShapingPolicyNeedsNeitherJamesNorMongo() {
        noClasses().that().resideInAPackage("org.jamesshaping.scoring..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.james..", "com.mongodb..", "org.bson..", "io.netty..")
            .check(EXTENSION);
        noClasses().that().resideInAPackage("org.jamesshaping.shaping..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.james.metrics..", "org.apache.james.protocols..",
                "org.apache.mailet..", "com.mongodb..", "org.bson..", "io.netty..")
            .check(EXTENSION);
    }
}
